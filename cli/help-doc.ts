/**
 * docs/cli.md is made from the program's own --help texts, so the reference cannot drift from
 * the code: `npm run docs:cli` writes it and a unit test checks it is current.
 */
import type { Command } from 'commander';

function walk(cmd: Command, path: string[]): { path: string; help: string }[] {
  const name = [...path, cmd.name()].join(' ');
  // A fixed width, so the text does not depend on the terminal that ran the generator.
  cmd.configureHelp({ ...cmd.configureHelp(), helpWidth: 100 });
  const own = { path: name, help: cmd.helpInformation({ error: false }).trimEnd() };
  return [own, ...cmd.commands.flatMap((sub) => walk(sub, [...path, cmd.name()]))];
}

export function renderCliReference(program: Command): string {
  const sections = walk(program, []).map(({ path, help }) => `## \`${path}\`\n\n\`\`\`\n${help}\n\`\`\`\n`);
  return `# CLI reference\n\nGenerated from \`--help\` by \`npm run docs:cli\`; a test keeps it current.\n\n${sections.join('\n')}`;
}
