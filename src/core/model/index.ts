/** Model specs: types, presets, shape inference, parameters and initial weights. */
export type * from './spec.js'
export {LAYER_TYPES} from './spec.js'
export {PRESET_NAMES, presetSpec, type PresetName} from './presets.js'
export {resolveModelSpec, type DatasetShape} from './resolve-model-spec.js'
export {resolveModel, type ResolvedLayer, type ResolvedModel} from './resolve-model.js'
export {sizeOf, type NamedTensor, type ParameterInfo, type ParameterLayout, type ParameterRole} from './parameters.js'
export {initialWeights} from './initializers.js'
