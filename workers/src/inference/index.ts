/**
 * The pure part of the inference engine (PROTOCOL.md §7): spec, codec, canonical outputs, strict
 * JSON, float16, errors. Nothing here loads onnxruntime: the SDK and the CLI may import it.
 * The runtime (engine, sessions, model store, spec-vs-model check) is `./runtime/index.ts`.
 */
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
export { decodeSafetensors, DTYPE_SIZE, SAFETENSORS_DTYPE } from "./safetensors.ts";
export { INPUT_ENCODINGS, type InputEncoding } from "./spec-types.ts";
