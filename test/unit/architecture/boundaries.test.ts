/**
 * Issue 10: the rooms table (ARCHITECTURE.md) is enforced by the lint rule in eslint.config.js.
 * These lint deliberately wrong imports with the project's own ESLint config and expect the
 * boundaries rule to refuse them, and a correct one to pass.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Type-aware rules need a file the TypeScript project knows; the boundaries rule does not.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'boundaries/dependencies',
});

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

describe('room boundaries (issue 10)', () => {
  it.each([
    ['model/probe.ts', "import { Runtime } from '../server/runtime.js';", 'model', 'server'],
    ['dns/probe.ts', "import { buildProgram } from '../cli/program.js';", 'dns', 'cli'],
    ['balance/probe.ts', "import { Observer } from '../report/observe.js';", 'balance', 'report'],
    ['health/probe.ts', "import { respond } from '../dns/respond.js';", 'health', 'dns'],
    ['bench/probe.ts', "import { startRedis } from '../test/helpers/dns-client.js';", 'bench', 'test'],
    ['lib/probe.ts', "import type { Zone } from '../model/zone.js';", 'lib', 'model'],
  ])('%s may not import %s', async (file, code, from, to) => {
    const errors = await boundaryErrors(file, `${code}\nexport {};\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`"${from}"`);
    expect(errors[0]).toContain(`"${to}"`);
  });

  it('allows imports that point down the table', async () => {
    const code = "import type { Zone } from '../model/zone.js';\nimport { buildPlan } from '../balance/plan.js';\nexport type { Zone };\nexport { buildPlan };\n";
    expect(await boundaryErrors('dns/probe.ts', code)).toEqual([]);
  });
});
