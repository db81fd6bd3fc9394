/**
 * The one base class of every error that OmniTensor's TypeScript code throws on purpose
 * (protocol encodings, chain layer, SDK, CLI helpers), on the model of viem's `BaseError`:
 *
 * - `shortMessage`: one line that says what went wrong and what to do;
 * - `details`: more context, optional (for example the node's own words);
 * - `cause`: the error underneath, if any;
 * - `docsPath`: where the docs explain it (a path in this repository, e.g. "docs/dapp.md#errors");
 * - `code`: stable and machine-readable (switch on it, not on the message);
 * - `retryable`: whether trying the same thing again later can succeed.
 *
 * `message` is `shortMessage`, then "Details: …" and "Docs: …" lines when present.
 */
export interface OmniTensorErrorOptions {
  cause?: unknown;
  details?: string;
  docsPath?: string;
  retryable?: boolean;
}

export class OmniTensorError extends Error {
  readonly shortMessage: string;
  readonly details?: string;
  readonly docsPath?: string;
  readonly retryable: boolean;

  constructor(
    shortMessage: string,
    readonly code: string,
    options: OmniTensorErrorOptions = {},
  ) {
    const lines = [shortMessage];
    if (options.details) lines.push(`Details: ${options.details}`);
    if (options.docsPath) lines.push(`Docs: ${options.docsPath}`);
    super(lines.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OmniTensorError";
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.docsPath = options.docsPath;
    this.retryable = options.retryable ?? false;
  }

  /**
   * Follows the `cause` chain from this error; returns the first error for which `fn` holds (the
   * last one of the chain when no `fn` is given), as viem's `BaseError.walk` does.
   */
  walk(fn?: (err: unknown) => boolean): unknown {
    return walkCause(this, fn);
  }
}

/** Follows `cause` from `start`: the first error for which `fn` holds (null if none), or the last one without `fn`. */
export function walkCause(start: unknown, fn?: (err: unknown) => boolean): unknown {
  let err = start;
  for (;;) {
    if (fn ? fn(err) : false) return err;
    const next = (err as { cause?: unknown } | null)?.cause;
    if (next === undefined || next === null) return fn ? null : err;
    err = next;
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
