/**
 * The one base class of every error that OmniTensor's TypeScript code throws on purpose
 * (protocol encodings, SDK, CLI helpers). `code` is stable and machine-readable; `message` is
 * short and says what to do.
 */
export class OmniTensorError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OmniTensorError";
  }
}

/** A §7 encoding got a value of the wrong shape: `field` names the argument that is wrong. */
export class ProtocolEncodingError extends OmniTensorError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`, "PROTOCOL_ENCODING");
    this.name = "ProtocolEncodingError";
  }
}

/** A sealed output could not be opened: too short, or not sealed to this key / task / node. */
export class SealedOutputError extends OmniTensorError {
  constructor(
    message: string,
    readonly reason: "TOO_SHORT" | "DECRYPT_FAILED" | "BAD_KEY",
    options?: { cause?: unknown },
  ) {
    super(message, `SEALED_OUTPUT_${reason}`, options);
    this.name = "SealedOutputError";
  }
}
