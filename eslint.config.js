// One lint config for the whole repository: typescript-eslint's recommended rules plus the
// dependency rules between rooms (see docs/architecture.md), so a wrong import fails the build.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const rooms = (from, forbidden, message) => ({
  files: [`src/${from}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: forbidden.map((room) => ({ group: [`**/${room}/**`, `**/${room}/*`], message })) },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.blox/**', '.tmp/**', 'bench/results/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  rooms(
    'core',
    ['store', 'aws', 'state', 'scheduler', 'local', 'server', 'sdk', 'cli'],
    'core/ imports nothing of ours',
  ),
  rooms(
    'store',
    ['aws', 'state', 'scheduler', 'local', 'server', 'sdk', 'cli'],
    'store/ knows nothing of ECS',
  ),
  rooms('local', ['store', 'aws', 'state', 'scheduler', 'server', 'sdk', 'cli'], 'local/ imports only core/'),
  rooms('state', ['scheduler', 'local', 'cli', 'sdk'], 'state/ and scheduler/ never import each other'),
  rooms('scheduler', ['state', 'local', 'cli'], 'state/ and scheduler/ never import each other'),
  { files: ['**/*.js', '**/*.mjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
