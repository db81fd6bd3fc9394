/**
 * The inference runtime (onnxruntime-node): engine, sessions, the model store, the spec-vs-model
 * check. Only the node service and the CLI's `infer`/`model check` load it.
 */
export {
  InferenceEngine,
  LoadedModel,
  type EngineOptions,
  type InferenceResult,
  type ModelSource,
} from "./engine.ts";
export {
  chooseProvider,
  createSession,
  detectProviders,
  isResourceFailure,
  probeCuda,
  profileKey,
  resolveProfile,
  runtimeVersion,
  sessionIo,
  versionCompatible,
  type ExecutionProfile,
  type ModelIo,
} from "./session.ts";
export {
  DEFAULT_MODEL_DIR,
  ModelStore,
  normalizeSha256,
  sha256File,
  type ModelStoreOptions,
} from "./store.ts";
export { checkSpecAgainstModel, checkSpecJson } from "./check.ts";
export {
  ThreadedInferenceEngine,
  ThreadedModel,
  type EngineHealth,
  type ThreadedEngineOptions,
} from "./threaded-engine.ts";
