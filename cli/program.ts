/** Builds the commander program: one file per command under commands/. */
import { Command } from 'commander';
import { serveCommand } from './commands/serve.js';
import { zoneCommand } from './commands/zone-check.js';
import { checkCommand } from './commands/check.js';
import { statusCommand } from './commands/status.js';
import { overrideCommands } from './commands/override.js';
import { demoCommand } from './commands/demo.js';
import { reportCommand } from './commands/report.js';
import { simulateCommand } from './commands/simulate.js';
import { dnssecCommand } from './commands/dnssec.js';
import { memberCommand } from './commands/member.js';

export function buildProgram(): Command {
  const program = new Command('rondo')
    .description('Authoritative DNS server that load-balances service names with shared health checks')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(checkCommand());
  program.addCommand(zoneCommand());
  program.addCommand(statusCommand());
  for (const cmd of overrideCommands()) program.addCommand(cmd);
  program.addCommand(memberCommand());
  program.addCommand(demoCommand());
  program.addCommand(reportCommand());
  program.addCommand(simulateCommand());
  program.addCommand(dnssecCommand());
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}
