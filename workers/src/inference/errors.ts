/**
 * Errors of the inference engine. Every error extends {@link InferenceError}; messages are short
 * and name the field or file at fault. An input the model cannot take is NOT an error: it is the
 * canonical result {"error":"INVALID_INPUT"} (see codec.ts). What is thrown here means "this node
 * cannot produce a result" (skip the task) or "the operator's configuration is wrong".
 */
export class InferenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The model spec JSON is malformed or breaks a rule of PROTOCOL.md §7; lists every problem. */
export class ModelSpecError extends InferenceError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid model spec: ${problems.join("; ")}`);
  }
}

/** The bytes fetched for a model do not hash (sha256) to the registered value. */
export class ModelHashMismatchError extends InferenceError {
  constructor(
    readonly uri: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`model hash mismatch for ${uri}: expected sha256 ${expected}, got ${actual}`);
  }
}

/** A model could not be fetched (unknown scheme, missing file, HTTP error, size limit). */
export class ModelFetchError extends InferenceError {
  constructor(
    readonly uri: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot fetch model ${uri}: ${reason}`, options);
  }
}

/** The spec's execution profile cannot be honoured by this node (runtime, version, providers). */
export class ProfileUnsupportedError extends InferenceError {}

/** A model file could not be loaded into a session (corrupt protobuf, unsupported operator). */
export class ModelLoadError extends InferenceError {}

/**
 * A resource failure while running (out of memory, lost device): not a result, the node skips
 * the task and may retry later.
 */
export class InferenceResourceError extends InferenceError {}
