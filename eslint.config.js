// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

/**
 * The rooms (ARCHITECTURE.md) and what each may import. Imports point down this table; a room
 * may always import itself. `npm run lint` (part of `npm test`) fails on an import that goes the
 * wrong way; test/unit/architecture/boundaries.test.ts proves that it does.
 */
export const ROOMS = {
  cli: ['server', 'admin', 'dns', 'report', 'checks', 'balance', 'zones', 'health', 'model', 'lib'],
  server: ['admin', 'dns', 'report', 'checks', 'balance', 'zones', 'health', 'model', 'lib'],
  admin: ['health', 'report', 'model', 'lib'],
  dns: ['balance', 'zones', 'model', 'lib'],
  report: ['balance', 'model', 'lib'],
  checks: ['model', 'lib'],
  balance: ['model', 'lib'],
  zones: ['model', 'lib'],
  health: ['model', 'lib'],
  model: ['lib'],
  lib: [],
  bench: ['server', 'admin', 'dns', 'report', 'checks', 'balance', 'zones', 'health', 'model', 'lib'],
  test: ['cli', 'server', 'admin', 'dns', 'report', 'checks', 'balance', 'zones', 'health', 'model', 'lib', 'bench'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { typescript: { project: `${import.meta.dirname}/tsconfig.json` } },
      'boundaries/elements': Object.keys(ROOMS).map((room) => ({ type: room, pattern: room, partialMatch: false })),
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: Object.entries(ROOMS).map(([room, allowed]) => ({
            from: { element: { type: room } },
            allow: { to: { element: { types: { anyOf: [room, ...allowed] } } } },
          })),
        },
      ],
    },
  },
  // The CLI and the benchmark/soak scripts talk to a terminal; everything else logs through pino.
  { files: ['cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'], rules: { 'no-console': 'off' } },
);
