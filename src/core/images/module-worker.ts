import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

/**
 * Starts a worker thread on the compiled module `entry` (a .js file beside its caller in dist/). When the
 * caller runs from its TypeScript source instead (tsx, vitest), that .js file does not exist: the worker then
 * loads the .ts beside it through tsx's API (a development dependency, present wherever sources run), so
 * tests and benches run the worker code they see.
 */
export function startModuleWorker(entry: URL): Worker {
  if (existsSync(fileURLToPath(entry))) return new Worker(entry)
  const source = entry.href.replace(/\.js$/, '.ts')
  // tsx's package maps its ESM API to index.mjs beside the CommonJS index.cjs that require resolves
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href
  const code = `import(${JSON.stringify(api)}).then(({tsImport}) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`
  return new Worker(code, {eval: true})
}
