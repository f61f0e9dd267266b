import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.services/**', 'coverage/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Pure logic never touches I/O: detectors and the incident state machine are tested without services.
    files: ['libs/detectors/**/*.ts', 'libs/escalation/src/incidents/**/*.ts', 'libs/escalation/src/policy/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['kafkajs', '@clickhouse/*', '@nestjs/*', 'node:http', 'node:https', 'node:fs', 'fs', 'http', 'https'] }],
    },
  },
  {
    // Scripts, benchmarks and tests talk to a terminal.
    files: ['bench/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'apps/*/src/cli/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
