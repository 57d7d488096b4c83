/** Each model is served as version "1": the protocol's version paths work, and there is only one version. */
export const MODEL_VERSION = '1'
