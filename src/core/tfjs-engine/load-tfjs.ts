/** The TensorFlow.js API; tfjs-node re-exports the same API with its native backend registered. */
export type Tfjs = typeof import('@tensorflow/tfjs')

export interface LoadedTfjs {
  tf: Tfjs
  /** The package whose backend runs: a native one, or '@tensorflow/tfjs' (pure JavaScript). */
  packageName: string
  /** True when TensorFlow's native kernels run (tfjs-node or tfjs-node-gpu). */
  native: boolean
  /** For the start-of-run line, e.g. 'TensorFlow.js 4.22.0, pure JavaScript (cpu backend, 1 thread)'. */
  description: string
}

/**
 * Native packages, best first. tfjs-node is an optionalDependency: its install script downloads
 * libtensorflow, so it is missing (or installed without its binding) wherever that download fails.
 */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']

let loading: Promise<LoadedTfjs> | undefined

/**
 * TensorFlow.js with the fastest backend that loads. Loads once per process; `onWarning` hears, on that
 * first load only, that no native backend loaded and training runs in pure JavaScript.
 */
export function loadTfjs(onWarning?: (message: string) => void): Promise<LoadedTfjs> {
  loading ??= load(onWarning)
  return loading
}

async function load(onWarning?: (message: string) => void): Promise<LoadedTfjs> {
  const failures: string[] = []
  for (const packageName of NATIVE_PACKAGES) {
    try {
      // A variable specifier: these packages may be absent, so TypeScript must not resolve them.
      const module = (await import(packageName)) as Tfjs & {default?: Tfjs}
      // CommonJS packages: the default export is module.exports, with every re-exported tfjs name
      const tf = module.default ?? module
      await tf.ready()
      return {
        tf,
        packageName,
        native: true,
        description: `TensorFlow.js ${tf.version.tfjs}, native TensorFlow through ${packageName} (${tf.getBackend()} backend)`,
      }
    } catch (error) {
      failures.push(`${packageName} is ${whyNotLoaded(error)}`)
    }
  }
  const tf = await import('@tensorflow/tfjs')
  // Production mode skips debug checks and silences tfjs's own console advice: src/core never prints.
  tf.enableProdMode()
  await tf.setBackend('cpu')
  onWarning?.(
    `TensorFlow.js runs in pure JavaScript, tens of times slower than --engine ort (${failures.join('; ')}). ` +
      'Use --engine ort, or install @tensorflow/tfjs-node where its install script can download libtensorflow.',
  )
  return {
    tf,
    packageName: '@tensorflow/tfjs',
    native: false,
    description: `TensorFlow.js ${tf.version.tfjs}, pure JavaScript (cpu backend, 1 thread)`,
  }
}

function whyNotLoaded(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed'
  const message = String((error as Error).message ?? error)
  // npm install --ignore-scripts, or an install that could not download libtensorflow
  if (message.includes('tfjs_binding.node')) return 'installed without its native binding'
  return message.split('\n')[0]
}
