/**
 * The models a server was started with, looked up by name (and optional version) from either protocol.
 * Models are loaded before the server accepts requests; there is no loading or unloading at run time.
 */
import {UserError} from '../errors.js'
import {quote} from './client-text.js'
import {MODEL_VERSION} from './model-version.js'
import {ServeError} from './serve-error.js'
import {ServedModel, type ModelConfig, type ModelObserver} from './served-model.js'

export class ModelRegistry {
  private constructor(private readonly models: Map<string, ServedModel>) {}

  static async load(configs: ModelConfig[], observer: ModelObserver): Promise<ModelRegistry> {
    const names = new Set<string>()
    for (const config of configs) {
      if (names.has(config.name))
        throw new UserError(`two models are named "${config.name}"; give each its own name with --model NAME=PATH`)
      names.add(config.name)
    }
    const loaded = await Promise.allSettled(configs.map((config) => ServedModel.load(config, observer)))
    const models = loaded.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
    const failure = loaded.find((result) => result.status === 'rejected')
    if (failure) {
      await Promise.all(models.map((model) => model.close()))
      throw failure.reason
    }
    return new ModelRegistry(new Map(models.map((model) => [model.name, model])))
  }

  list(): ServedModel[] {
    return [...this.models.values()]
  }

  /** The model that routes without a model name (POST /predict) use: the first one given. */
  defaultModel(): ServedModel {
    return this.list()[0]
  }

  get(name: string, version?: string): ServedModel {
    const model = this.models.get(name)
    if (!model)
      throw new ServeError(
        'not_found',
        `unknown model ${quote(name)}; this server has ${[...this.models.keys()].map((n) => `"${n}"`).join(', ')}`,
      )
    if (version && version !== MODEL_VERSION) {
      throw new ServeError(
        'not_found',
        `model "${name}" has no version ${quote(version)}; the only version is "${MODEL_VERSION}"`,
      )
    }
    return model
  }

  async close(): Promise<void> {
    await Promise.all(this.list().map((model) => model.close()))
  }
}
