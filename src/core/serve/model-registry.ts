/**
 * The models being served, looked up by name and version from either protocol, and the model repository
 * extension: the index, load and unload requests, and polling the repository for changed models.
 *
 * A model's serving versions are one immutable map, replaced whole once a reload has loaded (and warmed) every
 * new version: a lookup sees the old versions or the new ones, never a mix, and never waits. A version that is
 * replaced or removed is released once the requests already handed to it are answered. Front ends look a model
 * up and hand it their request in one synchronous step (no await between), so no request can reach a version
 * after its release began.
 */
import {UserError} from '../errors.js'
import {quote} from './client-text.js'
import {
  checkRepository,
  repositoryModels,
  scanVersions,
  type ModelSource,
  type VersionFile,
} from './model-repository.js'
import {describePolicy, parseVersion, selectVersions, type VersionPolicy} from './model-version.js'
import {ServeError} from './serve-error.js'
import {ServedModel, type ModelObserver, type ModelSettings} from './served-model.js'

export interface RegistryOptions {
  /** models given on the command line as files */
  files: Array<{name: string; path: string}>
  /** --model-repository */
  repository: string | undefined
  policy: VersionPolicy
  settings: ModelSettings
  /** why load and unload requests are refused, if they are (e.g. several server processes) */
  controlRefused?: string
}

export interface RegistryObserver extends ModelObserver {
  onModelLoad(model: string, result: 'loaded' | 'failed'): void
}

/** One entry of the repository index, as the protocol has it. */
export interface IndexEntry {
  name: string
  version: string
  state: 'READY' | 'UNAVAILABLE'
  reason: string
}

interface Serving {
  model: ServedModel
  stamp: string
}

interface LoadFailure {
  /** the file as it was when it failed: polling retries it only once it changes */
  stamp: string | undefined
  reason: string
  error: Error
}

/** One model: where its versions come from, which serve, and which failed to load. */
interface ModelSlot {
  source: ModelSource
  /** ascending by version, so the last one is the newest */
  serving: ReadonlyMap<number, Serving>
  failures: ReadonlyMap<number, LoadFailure>
  /** unloaded on request: polling leaves it alone until it is loaded again */
  unloaded: boolean
}

export class ModelRegistry {
  private readonly slots = new Map<string, ModelSlot>()
  /** reloads, loads and unloads, one at a time */
  private changes: Promise<unknown> = Promise.resolve()
  private readonly releasing = new Set<Promise<void>>()
  private poller: NodeJS.Timeout | undefined
  private started = false
  private closed = false

  private constructor(
    private readonly options: RegistryOptions,
    private readonly observer: RegistryObserver,
    private readonly log: (line: string) => void,
  ) {}

  /** Loads every model; if any selected version fails to load, releases what loaded and throws its error. */
  static async load(
    options: RegistryOptions,
    observer: RegistryObserver,
    log: (line: string) => void,
  ): Promise<ModelRegistry> {
    const registry = new ModelRegistry(options, observer, log)
    for (const {name, path} of options.files) {
      if (registry.slots.has(name))
        throw new UserError(`two models are named "${name}"; give each its own name with --model NAME=PATH`)
      registry.addSlot({name, file: path})
    }
    if (options.repository !== undefined) {
      checkRepository(options.repository)
      for (const source of repositoryModels(options.repository)) {
        if (registry.slots.has(source.name))
          throw new UserError(
            `model "${source.name}" is both given on the command line and a folder of ${options.repository}; rename one`,
          )
        registry.addSlot(source)
      }
    }
    const failures = await Promise.all([...registry.slots.values()].map((slot) => registry.reload(slot, true)))
    const failure = failures.flat()[0]
    if (failure) {
      await registry.close()
      throw failure.error
    }
    registry.started = true
    return registry
  }

  /** Every version serving, of every model. */
  list(): ServedModel[] {
    return [...this.slots.values()].flatMap((slot) => [...slot.serving.values()].map((serving) => serving.model))
  }

  /** The model that routes without a model name (POST /predict) use: the first one given, at its newest version. */
  defaultModel(): ServedModel {
    for (const slot of this.slots.values()) {
      const newest = [...slot.serving.values()].at(-1)
      if (newest) return newest.model
    }
    throw new ServeError('not_found', 'no model is loaded; load one with POST /v2/repository/models/NAME/load')
  }

  /** The version asked for, or the newest serving version when none is. */
  get(name: string, version?: string): ServedModel {
    const slot = this.slots.get(name)
    if (!slot)
      throw new ServeError(
        'not_found',
        `unknown model ${quote(name)}; this server has ${[...this.slots.keys()].map((n) => `"${n}"`).join(', ') || 'none'}`,
      )
    const serving = [...slot.serving.values()]
    if (serving.length === 0) {
      const why = slot.unloaded ? 'it was unloaded' : [...slot.failures.values()][0]?.reason
      throw new ServeError(
        'not_found',
        `model "${name}" is not loaded${why ? ` (${why})` : ''}; load it with POST /v2/repository/models/${name}/load`,
      )
    }
    if (!version) return serving.at(-1)!.model
    const found = slot.serving.get(parseVersion(version) ?? NaN)
    if (!found)
      throw new ServeError(
        'not_found',
        `model "${name}" has no version ${quote(version)} serving; it serves version ${this.versions(name).join(', ')}`,
      )
    return found.model
  }

  /** The model's serving versions, ascending. */
  versions(name: string): string[] {
    return [...(this.slots.get(name)?.serving.keys() ?? [])].map(String)
  }

  /** Whether the name is one the server knows (served or in the repository), to label metrics with. */
  knows(name: string): boolean {
    return this.slots.has(name)
  }

  /** Every version of every model in the repository and on the command line, loaded or not, and why not. */
  index(): IndexEntry[] {
    const sources = new Map([...this.slots].map(([name, slot]) => [name, slot.source]))
    for (const source of this.readRepository() ?? []) if (!sources.has(source.name)) sources.set(source.name, source)
    return [...sources.values()].flatMap((source) => {
      const slot = this.slots.get(source.name)
      const files = scanVersions(source) ?? []
      const versions = [...new Set([...files.map((file) => file.version), ...(slot?.serving.keys() ?? [])])]
      if (versions.length === 0 && 'folder' in source)
        return [
          {
            name: source.name,
            version: '',
            state: 'UNAVAILABLE' as const,
            reason: `no version folder; add ${source.folder}/1/model.onnx`,
          },
        ]
      return versions.sort((a, b) => a - b).map((version) => this.indexEntry(source.name, slot, version, files))
    })
  }

  /** Loads the model's versions the policy selects, or reloads those whose files changed. */
  load(name: string): Promise<void> {
    return this.serialized(async () => {
      this.checkControl()
      let slot = this.slots.get(name)
      if (!slot) {
        const source = this.readRepository()?.find((candidate) => candidate.name === name)
        if (!source) throw new ServeError('not_found', this.notInRepository(name))
        slot = this.addSlot(source)
      }
      slot.unloaded = false
      const failures = await this.reload(slot, true)
      if (!this.slots.has(name)) throw new ServeError('not_found', this.notInRepository(name))
      if (failures.length > 0) {
        const still = this.versions(name)
        throw new ServeError(
          'invalid_argument',
          `model "${name}": ${failures.map((failure) => failure.reason).join('; ')}${still.length > 0 ? `; version ${still.join(', ')} still serves` : ''}`,
        )
      }
    })
  }

  /** Stops serving every version of the model; requests already given to them are answered first. */
  unload(name: string): Promise<void> {
    return this.serialized(async () => {
      this.checkControl()
      const slot = this.slots.get(name)
      if (!slot) throw new ServeError('not_found', `unknown model ${quote(name)}; see POST /v2/repository/index`)
      slot.unloaded = true
      this.swap(slot, new Map(), new Map())
      this.log(`model "${name}" unloaded`)
    })
  }

  /** Rereads the repository every `seconds`: new models and versions load, removed ones unload, changed ones reload. */
  pollEvery(seconds: number): void {
    const poll = () => {
      this.poller = setTimeout(() => {
        void this.serialized(() => this.refresh()).finally(() => {
          if (!this.closed) poll()
        })
      }, seconds * 1000)
    }
    poll()
  }

  /** Stops polling, lets a reload in progress finish, and releases every model once its requests are answered. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.poller)
    await this.changes.catch(() => undefined)
    for (const slot of this.slots.values()) this.swap(slot, new Map(), slot.failures)
    while (this.releasing.size > 0) await Promise.all(this.releasing)
  }

  private async refresh(): Promise<void> {
    const found = this.readRepository()
    // An unreadable repository (e.g. a network mount gone for a moment) must not unload everything.
    if (found === null) return
    if (found !== undefined) {
      for (const [name, slot] of this.slots) {
        if ('folder' in slot.source && !found.some((source) => source.name === name)) {
          this.swap(slot, new Map(), new Map())
          this.slots.delete(name)
          this.log(`model "${name}" removed from the repository; unloaded`)
        }
      }
      for (const source of found) if (!this.slots.has(source.name)) this.addSlot(source)
    }
    for (const slot of [...this.slots.values()]) if (!slot.unloaded) await this.reload(slot, false)
  }

  /**
   * Brings one model in line with its files and the version policy. New and changed versions are loaded before
   * anything changes for clients; then the serving versions are swapped in one step. A version that fails to
   * load leaves the versions it would have replaced serving. `retry`: load files that failed before even if
   * unchanged (start-up, load requests).
   */
  private async reload(slot: ModelSlot, retry: boolean): Promise<LoadFailure[]> {
    const name = slot.source.name
    const files = scanVersions(slot.source)
    if (files === undefined) {
      this.swap(slot, new Map(), new Map())
      this.slots.delete(name)
      return []
    }
    const wanted = selectVersions(
      this.options.policy,
      files.map((file) => file.version),
    )
    const serving = new Map<number, Serving>()
    const failures = new Map<number, LoadFailure>()
    await Promise.all(
      wanted.map(async (version) => {
        const file = files.find((candidate) => candidate.version === version)!
        const current = slot.serving.get(version)
        const failed = slot.failures.get(version)
        if (current && current.stamp === file.stamp) {
          serving.set(version, current)
        } else if (failed && failed.stamp === file.stamp && !retry) {
          failures.set(version, failed)
          if (current) serving.set(version, current)
        } else {
          const loaded = await this.loadVersion(name, file, current !== undefined)
          if (loaded instanceof ServedModel) serving.set(version, {model: loaded, stamp: file.stamp!})
          else {
            failures.set(version, loaded)
            if (current) serving.set(version, current)
          }
        }
      }),
    )
    if (failures.size > 0) {
      for (const [version, old] of slot.serving) {
        if (!serving.has(version) && files.some((file) => file.version === version)) serving.set(version, old)
      }
    }
    const before = this.versions(name).join(', ')
    this.swap(slot, new Map([...serving].sort(([a], [b]) => a - b)), failures)
    const after = this.versions(name).join(', ')
    if (this.started && before !== after)
      this.log(`model "${name}" serves version ${after || 'none'} (was ${before || 'none'})`)
    return [...failures.values()]
  }

  private async loadVersion(name: string, file: VersionFile, replacing: boolean): Promise<ServedModel | LoadFailure> {
    try {
      if (file.problem !== undefined) throw new UserError(file.problem)
      const model = await ServedModel.load(
        {...this.options.settings, name, version: file.version, path: file.path},
        this.observer,
      )
      this.observer.onModelLoad(name, 'loaded')
      if (this.started) this.log(`model "${name}" version ${file.version} loaded from ${file.path}`)
      return model
    } catch (err) {
      const error = err as Error
      this.observer.onModelLoad(name, 'failed')
      const reason = replacing
        ? `version ${file.version} changed and failed to load (${error.message}); still serving the copy loaded before`
        : `version ${file.version} failed to load: ${error.message}`
      if (this.started) this.log(`model "${name}" ${reason}`)
      return {stamp: file.stamp, reason, error}
    }
  }

  /** The one step in which clients move to other versions; the versions no longer serving are released. */
  private swap(slot: ModelSlot, serving: ReadonlyMap<number, Serving>, failures: ReadonlyMap<number, LoadFailure>) {
    const kept = new Set([...serving.values()].map((entry) => entry.model))
    const retired = [...slot.serving.values()].filter((entry) => !kept.has(entry.model))
    slot.serving = serving
    slot.failures = failures
    for (const {model} of retired) {
      const released: Promise<void> = model
        .close()
        .catch((err: Error) => this.log(`releasing model "${model.name}" version ${model.version}: ${err.message}`))
        .finally(() => this.releasing.delete(released))
      this.releasing.add(released)
    }
  }

  private indexEntry(name: string, slot: ModelSlot | undefined, version: number, files: VersionFile[]): IndexEntry {
    const entry = (state: IndexEntry['state'], reason: string) => ({name, version: String(version), state, reason})
    const failure = slot?.failures.get(version)
    if (slot?.serving.has(version)) return entry('READY', failure?.reason ?? '')
    if (failure) return entry('UNAVAILABLE', failure.reason)
    if (slot?.unloaded) return entry('UNAVAILABLE', 'unloaded')
    const selected = selectVersions(
      this.options.policy,
      files.map((file) => file.version),
    ).includes(version)
    if (!slot || selected)
      return entry('UNAVAILABLE', `not loaded yet; POST /v2/repository/models/${name}/load loads it`)
    return entry('UNAVAILABLE', `not selected by --version-policy ${describePolicy(this.options.policy)}`)
  }

  private addSlot(source: ModelSource): ModelSlot {
    const slot: ModelSlot = {source, serving: new Map(), failures: new Map(), unloaded: false}
    this.slots.set(source.name, slot)
    return slot
  }

  /** The repository's model folders; null if it cannot be read, undefined if there is no repository. */
  private readRepository(): ModelSource[] | null | undefined {
    if (this.options.repository === undefined) return undefined
    try {
      return repositoryModels(this.options.repository)
    } catch (err) {
      this.log(`cannot read the model repository ${this.options.repository}: ${(err as Error).message}`)
      return null
    }
  }

  private notInRepository(name: string): string {
    return this.options.repository === undefined
      ? `unknown model ${quote(name)}; start the server with --model-repository DIR to load models from one`
      : `no model ${quote(name)} in the repository; add ${this.options.repository}/${name}/1/model.onnx`
  }

  private checkControl(): void {
    if (this.options.controlRefused) throw new ServeError('invalid_argument', this.options.controlRefused)
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const result = this.changes.then(task)
    this.changes = result.catch(() => undefined)
    return result
  }
}
