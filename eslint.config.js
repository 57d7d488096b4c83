// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/', 'node_modules/', 'coverage/']},
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname},
    },
    rules: {
      // Messages interpolate shapes such as [1, 28, 28]; arrays print as "1,28,28" on purpose.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {allowNumber: true, allowBoolean: true, allowArray: true},
      ],
      // Handlers implement async interfaces (HTTP routes, gRPC methods) whether or not they await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      // Prettier wraps code at 120 columns but leaves comments and long messages alone: comments must wrap too.
      'max-len': [
        'error',
        {code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true},
      ],
    },
  },
  {
    // Tests and benchmarks read the JSON a command or server answered: its shape is what they assert, not a type.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {files: ['**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked},
  {files: ['**/*.cjs'], languageOptions: {sourceType: 'commonjs', globals: globals.node}},
)
