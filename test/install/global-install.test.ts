/**
 * Installs mlctl the way the README tells users to: `npm pack`, then `npm install -g` of the tarball into an
 * empty prefix. Needs the npm registry, or npm's cache after a first run (`--prefer-offline`), and nothing else.
 */
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startServe} from '../serve/serve-process.js'

const work = mkdtempSync(join(tmpdir(), 'mlctl-install-'))
const prefix = join(work, 'prefix')
const installedMlctl = join(prefix, 'bin', 'mlctl')

/**
 * A user's shell plus the one setting the README documents. An enclosing `npm test` exports npm_* variables
 * describing this repository, among them its .npmrc's skip setting: they are dropped, so that only the
 * documented variable can turn off onnxruntime-node's CUDA download.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('npm_') && !/^onnxruntime_node_install/i.test(name)) env[name] = value
  }
  return {...env, ONNXRUNTIME_NODE_INSTALL: 'skip', NO_COLOR: '1'}
}

function run(command: string, args: string[], cwd: string, timeout = 240_000) {
  const result = spawnSync(command, args, {cwd, env: userEnv(), encoding: 'utf8', timeout})
  return {code: result.status, stdout: result.stdout, stderr: result.stderr}
}

let packedFiles: string[]

beforeAll(() => {
  // Packing cleans and rebuilds dist/; it works on a copy so that the dist/ other test files run stays intact.
  const source = join(work, 'source')
  for (const entry of ['package.json', 'tsconfig.json', 'README.md', 'bin', 'src'])
    cpSync(entry, join(source, entry), {recursive: true})
  symlinkSync(realpathSync('node_modules'), join(source, 'node_modules'))

  const pack = run('npm', ['pack', '--json', '--pack-destination', work], source)
  expect(pack.code, pack.stderr).toBe(0)
  const [packed] = JSON.parse(pack.stdout) as [{filename: string; files: {path: string}[]}]
  packedFiles = packed.files.map((file) => file.path)

  const install = run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', `./${packed.filename}`], work)
  expect(install.code, install.stderr).toBe(0)
}, 300_000)

afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('npm pack, then npm install -g of the tarball', () => {
  it('packs the compiled CLI and the gRPC proto files, without sources, tests, tsx or source maps', () => {
    expect(packedFiles).toContain('bin/run.js')
    expect(packedFiles).toContain('dist/commands/train.js')
    expect(packedFiles).toContain('dist/commands/serve.js')
    expect(packedFiles).toContain('src/core/serve/proto/grpc_predict_v2.proto')
    expect(packedFiles).toContain('src/core/serve/proto/health.proto')
    expect(packedFiles).not.toContain('bin/dev.js')
    expect(packedFiles.filter((path) => path.endsWith('.map') || path.endsWith('.ts'))).toEqual([])
    expect(packedFiles.filter((path) => path.startsWith('test/'))).toEqual([])
  })

  it('installs without the development dependencies', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'mlctl', 'node_modules')
    expect(existsSync(join(installed, 'onnxruntime-node'))).toBe(true)
    for (const devDependency of ['typescript', 'tsx', 'vitest', 'eslint'])
      expect(existsSync(join(installed, devDependency)), devDependency).toBe(false)
  })

  it('puts a working mlctl on the prefix bin/', () => {
    const help = run(installedMlctl, ['--help'], work)
    expect(help.code, help.stderr).toBe(0)
    for (const command of ['fetch-data', 'train', 'evaluate', 'export-onnx', 'serve'])
      expect(help.stdout).toContain(command)
  })

  it('trains on the embedded sample, exports the run and serves it until SIGTERM', async () => {
    const runDir = join(work, 'digits')
    const train = run(installedMlctl, ['train', '--epochs', '1', '--out', runDir], work)
    expect(train.code, train.stderr).toBe(0)
    expect(existsSync(join(runDir, 'model', 'model.json'))).toBe(true)

    const exported = run(installedMlctl, ['export-onnx', runDir], work)
    expect(exported.code, exported.stderr).toBe(0)

    const server = await startServe([runDir], {}, [installedMlctl])
    try {
      expect((await fetch(`${server.httpUrl}/v2/health/ready`)).status).toBe(200)
      const response = await fetch(`${server.httpUrl}/predict`, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({instances: [[new Array(28).fill(new Array(28).fill(0))]]}),
      })
      expect(response.status).toBe(200)
      const {predictions} = (await response.json()) as {predictions: {probabilities: number[]}[]}
      expect(predictions[0].probabilities).toHaveLength(10)
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0)
    }
  })
})
