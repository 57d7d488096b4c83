/**
 * The layering of src/, checked by `npm test` (npm run lint:deps). Arrows point down:
 * commands → cli → core; inside core, the command folders (train, evaluate, export, serve) sit on the engines
 * and the run/metadata modules, which sit on data, model, optim and onnx.
 */
const ABOVE_BASE =
  '^src/(commands|cli)/|^src/core/(engine|tfjs-engine|training|train|run|evaluate|export|serve|predict|tfjs-format)/'

module.exports = {
  forbidden: [
    {name: 'no-cycles', severity: 'error', from: {path: '^src/'}, to: {circular: true}},
    {
      name: 'core-does-not-import-cli',
      comment: 'src/core computes and never prints: it must not reach the command line layer',
      severity: 'error',
      from: {path: '^src/core/'},
      to: {path: '^src/(commands|cli)/'},
    },
    {name: 'cli-does-not-import-commands', severity: 'error', from: {path: '^src/cli/'}, to: {path: '^src/commands/'}},
    {
      name: 'base-imports-nothing-above',
      comment: 'data/, model/, optim/, onnx/ and text/ are the base every other folder builds on',
      severity: 'error',
      from: {path: '^src/core/(data|model|optim|onnx|text)/'},
      to: {path: ABOVE_BASE},
    },
    {
      name: 'engines-are-independent',
      comment: 'each training engine uses the shared contract in core/training, never the other engine',
      severity: 'error',
      from: {path: '^src/core/(engine|tfjs-engine)/'},
      to: {path: '^src/core/(engine|tfjs-engine)/', pathNot: '^src/core/$1/'},
    },
    {
      name: 'train-reaches-engines-only-through-their-table',
      comment: 'train/engines.ts is the one place that names the engines, and only through their public index.ts',
      severity: 'error',
      from: {path: '^src/core/train/', pathNot: '^src/core/train/engines[.]ts$'},
      to: {path: '^src/core/(engine|tfjs-engine)/'},
    },
    {
      name: 'engine-table-uses-public-entries',
      severity: 'error',
      from: {path: '^src/core/train/engines[.]ts$'},
      to: {path: '^src/core/(engine|tfjs-engine)/', pathNot: '^src/core/(engine|tfjs-engine)/index[.]ts$'},
    },
    {
      name: 'commands-computations-are-siblings',
      comment: 'evaluate, export and serve read runs through run/, never the training run (it pulls both engines in)',
      severity: 'error',
      from: {path: '^src/core/(evaluate|export|serve)/'},
      to: {path: '^src/core/train/'},
    },
    {
      name: 'run-reader-is-below-the-commands',
      comment: 'train, evaluate, export and serve all read runs through run/',
      severity: 'error',
      from: {path: '^src/core/run/'},
      to: {path: '^src/core/(train|evaluate|export|serve|engine|tfjs-engine)/'},
    },
    {
      name: 'training-contract-is-engine-neutral',
      severity: 'error',
      from: {path: '^src/core/training/'},
      to: {path: '^src/core/(engine|tfjs-engine|train|run|evaluate|export|serve)/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    exclude: {path: '^node_modules|^dist'},
    includeOnly: '^src/',
    tsConfig: {fileName: 'tsconfig.json'},
    tsPreCompilationDeps: true,
  },
}
