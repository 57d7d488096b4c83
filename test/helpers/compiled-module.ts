/**
 * Imports a module from dist/ (built by the global setup) with the types of its source in src/. Code that
 * starts a worker thread from a compiled .js file beside itself must run from dist/; dist/ holds no type
 * declarations, so callers name the source module's type: `compiledModule<typeof import('../../src/x.js')>('x.js')`.
 */
export async function compiledModule<Module>(pathInDist: string): Promise<Module> {
  return (await import(new URL(`../../dist/${pathInDist}`, import.meta.url).href)) as Module
}
