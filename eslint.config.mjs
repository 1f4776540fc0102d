import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'bench/results/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Request fields state null, id and text rules through src/common/field-decorators.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/common/field-decorators.ts', 'src/config/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'class-validator',
              importNames: ['IsOptional', 'IsUUID', 'ValidateIf'],
              message: 'Use Optional, Nullable or IsId from src/common/field-decorators.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // docs/architecture.md §2a, docs/data-access.md: SQL lives in repositories. Outside
    // `*.repository.ts` no file under src sends a statement, builds a query or holds the entity
    // manager: services hold the rules and call repositories (entity finds and persists included).
    files: ['src/**/*.ts'],
    ignores: [
      '**/*.repository.ts',
      'src/database/migrations/**',
      // Unit tests of the infrastructure below check what it does with the entity manager.
      'src/**/*.spec.ts',
      // Infrastructure that talks to the database outside any module, on purpose:
      // the named prepared statements that repositories' budgeted statements run through,
      'src/database/prepared-statement.ts',
      // the unit of work (fork, transaction, retry) and the interceptor that runs each request in it,
      'src/common/unit-of-work.ts',
      'src/common/unit-of-work.interceptor.ts',
      // the connection pool's counters for /metrics (no statement),
      'src/metrics/metrics.service.ts',
      // the read-replica routing: the driver that sends a marked read to a replica (its own
      // execute()) and the router that takes a request's entity manager to route its reads (no SQL
      // text: the WAL-position statements are in database-server.repository.ts),
      'src/database/read-replicas.ts',
      'src/database/replica-router.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['execute', 'executePrepared', 'createQueryBuilder', 'getKnex'].flatMap((name) => [
          {
            selector: `CallExpression[callee.property.name='${name}']`,
            message: `${name}() belongs in a *.repository.ts file (docs/architecture.md §2a): call a repository method.`,
          },
          {
            selector: `CallExpression[callee.name='${name}']`,
            message: `${name}() belongs in a *.repository.ts file (docs/architecture.md §2a): call a repository method.`,
          },
        ]),
        {
          selector: "CallExpression[callee.object.name='knex'][callee.property.name='raw']",
          message: 'SQL belongs in a *.repository.ts file (docs/architecture.md §2a).',
        },
        {
          selector:
            'ImportDeclaration[source.value=/^@mikro-orm\\//] > ImportSpecifier[imported.name=/^(EntityManager|raw|sql|Knex)$/]',
          message:
            'Services do not hold the entity manager nor SQL text (docs/architecture.md §2a): inject the module’s repository.',
        },
      ],
    },
  },
  {
    // Type-aware rules that find bugs: a promise nobody awaits (its failure goes unseen), a promise
    // where a callback's result is ignored, a switch that forgets a case.
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A switch over a union lists every member, or says with `default` what the rest get.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
