/**
 * The inference engine's public API (PROTOCOL.md §7): the bots and the SDK import from here.
 * Pure parts (spec, codec, canonical) need no runtime; the engine, sessions and store do.
 */
export {
  InferenceEngine,
  LoadedModel,
  type EngineOptions,
  type InferenceResult,
  type ModelSource,
} from "./runtime/engine.ts";
export {
  canonicalize,
  classifyMargin,
  invalidInputResult,
  outputHash,
  OutputRuleError,
  type CanonicalResult,
  type RawOutput,
  type ResultKind,
} from "./canonical.ts";
export {
  decodeInput,
  decodeInputValue,
  encodeInput,
  type DecodeResult,
  type DecodedTensor,
  type TensorData,
} from "./codec.ts";
export {
  batchDimName,
  DEFAULT_MARGIN,
  parseModelSpec,
  stringifyModelSpec,
  validateModelSpec,
  type Dim,
  type ExecutionSpec,
  type GraphOptimizationLevel,
  type InputSpec,
  type InputType,
  type ModelSpec,
  type OutputRule,
  type OutputSpec,
  type OutputType,
  type ProviderName,
  type ValueRange,
} from "./spec.ts";
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
} from "./runtime/session.ts";
export {
  DEFAULT_MODEL_DIR,
  ModelStore,
  normalizeSha256,
  sha256File,
  type ModelStoreOptions,
} from "./runtime/store.ts";
export { checkSpecAgainstModel, checkSpecJson } from "./runtime/check.ts";
export { parseStrictJson, parseStrictJsonBytes, findDuplicateKey, StrictJsonError } from "./json-strict.ts";
export { fromFloat16Bits, toFloat16Bits, roundHalfEven } from "./float16.ts";
export {
  InferenceError,
  InferenceResourceError,
  ModelFetchError,
  ModelHashMismatchError,
  ModelLoadError,
  ModelSpecError,
  ProfileUnsupportedError,
} from "./errors.ts";
export { silentLogger, stderrLogger, type InferenceLogger, type InferenceLogFn } from "./logger.ts";
