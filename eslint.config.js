import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'coverage/**', '.tools/**', 'packages/client/src/schema.ts'] },
  js.configs.recommended,
  // Type-aware rules: a floating promise, an unsafe `any` or an unneeded assertion is an error.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fastify plugins and hooks are async by contract, whether or not their body awaits.
      '@typescript-eslint/require-await': 'off',
      // A package is reached by its name, never by a path into its sources.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/packages/*/src/**', '../../packages/**', '../../../packages/**', '**/apps/*/src/**'],
              message: 'import @punctual/<package> instead of a path into it',
            },
          ],
        },
      ],
    },
  },
  {
    // The processes' own code: a number formatted for a locale pages in ICU's locale data, ~5 MiB of resident memory
    // (the API's idle RSS went from 112 to 117 MiB for one route description). Dates and zones use Intl on purpose.
    files: ['apps/*/src/**', 'packages/*/src/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { property: 'toLocaleString', message: 'format numbers yourself: locale data costs the process ~5 MiB of RSS' },
      ],
    },
  },
  {
    // The dashboard runs in browsers: TypeScript checks their globals (no-undef knows only the ones listed above), and
    // locale formatting costs a browser tab nothing the server would pay.
    files: ['apps/dashboard/**'],
    rules: { 'no-undef': 'off', 'no-restricted-properties': 'off' },
  },
  // Plain JavaScript (scripts, this file) is outside the TypeScript project.
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Tests read replies as `any` (inject().json()) and assert on them: the assertions are their type check.
    files: ['**/test/**', 'e2e/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
);
