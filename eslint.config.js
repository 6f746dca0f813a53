import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'packages/*/dist/**', 'packages/server/drizzle/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core decides; it never touches the outside world.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:|fs|net|http|https|child_process|undici|pg|better-sqlite3|drizzle-orm)',
              message: 'packages/core does no I/O',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'fetch', 'process', 'setTimeout', 'setInterval'],
    },
  },
  {
    // Feature code throws PaystateError and knows no status code; only a feature's routes (its
    // HTTP edge) use the inbound kit in http/.
    files: ['packages/server/src/*/**/*.ts'],
    ignores: [
      'packages/server/src/{app,http}/**',
      'packages/server/src/**/*routes.ts',
      // A feature's description of its routes (docs/architecture.md section 4).
      'packages/server/src/**/openapi.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^\\.\\./http/', message: 'only routes and the app use the HTTP kit; throw PaystateError' },
          ],
        },
      ],
    },
  },
);
