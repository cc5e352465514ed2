/** Runs the `rondo` program on argv and returns the exit code (cli/index.ts sets it). */
import { Command, CommanderError } from 'commander';
import { CliExit } from './exit.js';
import { RondoError } from '../lib/errors.js';
import { buildProgram } from './program.js';

export async function main(argv: string[]): Promise<number> {
  const program: Command = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CliExit) return err.exitCode;
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof RondoError) {
      console.error(`rondo: ${err.message}`);
      return 1;
    }
    console.error(err);
    return 1;
  }
}
