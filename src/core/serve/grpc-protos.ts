/**
 * Loads the server's .proto files (inference.GRPCInferenceService and grpc.health.v1.Health) for both
 * the server and its clients (tests, benchmark). The files stay in src/core/serve/proto: the same path
 * relative to this module works from src/ (tsx, vitest) and from dist/ (the built CLI), and the package
 * ships that folder.
 */
import {loadPackageDefinition, type GrpcObject, type ServiceClientConstructor} from '@grpc/grpc-js'
import {loadSync} from '@grpc/proto-loader'
import {fileURLToPath} from 'node:url'
import protobuf from 'protobufjs'

export const PROTO_DIR = fileURLToPath(new URL('../../../src/core/serve/proto/', import.meta.url))
const PROTO_FILES = ['grpc_predict_v2.proto', 'health.proto']

export interface GrpcServices {
  inference: ServiceClientConstructor
  health: ServiceClientConstructor
}

/** int64 fields (shapes) as JS numbers, proto field names as written (snake_case), defaults filled in. */
export function loadGrpcServices(): GrpcServices {
  const definition = loadSync(PROTO_FILES, {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  })
  const root = loadPackageDefinition(definition)
  const inference = root.inference as GrpcObject
  const health = ((root.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject
  return {
    inference: inference.GRPCInferenceService as ServiceClientConstructor,
    health: health.Health as ServiceClientConstructor,
  }
}

/** The same files as protobufjs reflection types, for checking request bytes field by field before decoding. */
export function loadProtoTypes(): protobuf.Root {
  const root = new protobuf.Root()
  root.loadSync(
    PROTO_FILES.map((file) => PROTO_DIR + file),
    {keepCase: true},
  )
  root.resolveAll()
  return root
}
