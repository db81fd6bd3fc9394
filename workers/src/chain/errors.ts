/**
 * Errors of the chain layer (submitter, watcher). Each extends the one TypeScript error base
 * (`OmniTensorError`: a short actionable message, a stable `code`, a cause) and says whether
 * trying again later can succeed (`retryable`): the node's queues give up at once on the rest.
 */
import {
  AbiEncodingArrayLengthMismatchError,
  AbiEncodingBytesSizeMismatchError,
  AbiEncodingLengthMismatchError,
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  IntegerOutOfRangeError,
  InvalidAddressError,
  NonceTooLowError,
  TimeoutError,
} from "viem";
import { OmniTensorError } from "../protocol/errors.ts";

/** The base of the chain layer's errors. */
export class ChainError extends OmniTensorError {
  constructor(
    message: string,
    opts: { retryable: boolean; cause?: unknown; code?: string; details?: string },
  ) {
    super(message, opts.code ?? "CHAIN", {
      cause: opts.cause,
      retryable: opts.retryable,
      details: opts.details,
    });
    this.name = "ChainError";
  }
}

/** @deprecated the old name of ChainError (kept so that older imports compile). */
export const WorkerError = ChainError;
/** @deprecated the old name of ChainError. */
export type WorkerError = ChainError;

function firstLine(cause: unknown): string | undefined {
  return (cause as Error | undefined)?.message?.split("\n")[0];
}

/** The RPC did not answer (network down, timeout, 5xx). Retry with backoff. */
export class RpcUnreachableError extends ChainError {
  /** `details`: what to do about it (the SDK and the CLI say how to start or name an RPC). */
  constructor(url: string, cause?: unknown, details?: string) {
    super(`RPC ${url} is unreachable: ${firstLine(cause) ?? "no answer"}`, {
      retryable: true,
      cause,
      details,
      code: "RPC_UNREACHABLE",
    });
    this.name = "RpcUnreachableError";
  }
}

/**
 * The call would revert (simulation) or reverted on chain; `errorName` is the contract's custom
 * error when decoded. A revert the contract names is deterministic: not retryable by default.
 */
export class TxRevertError extends ChainError {
  constructor(
    readonly fn: string,
    readonly errorName: string | undefined,
    readonly detail: string,
    opts: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`${fn} would revert: ${errorName ?? detail}`, {
      retryable: opts.retryable ?? false,
      cause: opts.cause,
      code: "TX_REVERT",
    });
    this.name = "TxRevertError";
  }
}

/**
 * Another sender used this key's nonce ("nonce too low", "replacement transaction underpriced"
 * for a transaction that is not ours): the same key runs in another process or wallet. The node
 * re-reads the nonce; the job may be retried, but the operator must stop the other sender.
 */
export class NonceClashError extends ChainError {
  constructor(
    readonly fn: string,
    readonly account: string,
    readonly nonce: number,
    cause?: unknown,
  ) {
    super(
      `${fn}: nonce clash: nonce ${nonce} of ${account} was used by another sender (${firstLine(cause) ?? "taken"}); ` +
        `is this key used by another process or wallet? Run one node per key`,
      { retryable: true, cause, code: "NONCE_CLASH" },
    );
    this.name = "NonceClashError";
  }
}

/** No receipt within the bound (gas.receiptTimeoutMs) although the transaction was replaced: retried later. */
export class ReceiptTimeoutError extends ChainError {
  constructor(
    readonly fn: string,
    readonly nonce: number,
    readonly hashes: readonly string[],
    waitedMs: number,
  ) {
    super(
      `${fn}: no receipt for nonce ${nonce} after ${Math.round(waitedMs / 1000)} s (${hashes.length} transaction(s) sent, last ${hashes[hashes.length - 1]}); ` +
        `the RPC may have dropped it or fees are capped (gas.maxFeePerGasGwei); will retry`,
      { retryable: true, code: "RECEIPT_TIMEOUT" },
    );
    this.name = "ReceiptTimeoutError";
  }
}

/** The call cannot be encoded or the node refused it as malformed: the same call never succeeds. */
export class InvalidCallError extends ChainError {
  constructor(
    readonly fn: string,
    cause: unknown,
  ) {
    super(`${fn}: invalid call: ${firstLine(cause) ?? "rejected"}`, {
      retryable: false,
      cause,
      code: "INVALID_CALL",
    });
    this.name = "InvalidCallError";
  }
}

/** The node refused to send the transaction for a reason that is neither a revert nor a nonce clash. */
export class TxSendError extends ChainError {
  constructor(
    readonly fn: string,
    cause: unknown,
  ) {
    super(`${fn}: transaction not accepted by the RPC node: ${firstLine(cause) ?? "refused"}`, {
      retryable: true,
      cause,
      code: "TX_SEND",
    });
    this.name = "TxSendError";
  }
}

/** Gas price above the configured cap: waits (retry later), never overpays. */
export class GasCapError extends ChainError {
  constructor(fn: string, needGwei: number, capGwei: number) {
    super(
      `${fn}: network fee ${needGwei.toFixed(3)} gwei is above the cap gas.maxFeePerGasGwei=${capGwei}; waiting`,
      { retryable: true, code: "GAS_CAP" },
    );
    this.name = "GasCapError";
  }
}

/** The wallet cannot pay for the transaction's gas. */
export class NoGasError extends ChainError {
  constructor(
    readonly account: string,
    readonly balance: bigint,
    readonly need: bigint,
  ) {
    super(`wallet ${account} has no gas: balance ${balance} wei < ${need} wei needed; fund it`, {
      retryable: true,
      code: "NO_GAS",
    });
    this.name = "NoGasError";
  }
}

/** The expected reward does not pay for the gas (profitability guard). */
export class UnprofitableError extends ChainError {
  constructor(fn: string, reward: bigint, costOmnit: bigint) {
    super(`${fn}: expected reward ${reward} < gas cost ${costOmnit} (OMNIT wei) × profitFactor; skipped`, {
      retryable: false,
      code: "UNPROFITABLE",
    });
    this.name = "UnprofitableError";
  }
}

// ---- classification of what viem and the RPC node throw ----

/** The contract's custom error (or reason) and a one-line detail, when `e` is a revert. */
export function revertName(e: unknown): { name?: string; detail: string; reverted: boolean } {
  if (e instanceof BaseError) {
    const r = e.walk(
      (x) => x instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError | null;
    if (r)
      return { name: r.data?.errorName ?? r.signature ?? r.reason, detail: r.shortMessage, reverted: true };
    return { detail: e.shortMessage, reverted: false };
  }
  return { detail: (e as Error)?.message ?? String(e), reverted: false };
}

/** The RPC did not answer (connection refused, timeout, HTTP error). */
export function isNetworkError(e: unknown): boolean {
  if (e instanceof BaseError)
    return Boolean(e.walk((x) => x instanceof HttpRequestError || x instanceof TimeoutError));
  const m = (e as Error)?.message ?? "";
  return /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up|timed out/i.test(m);
}

/** What RPC nodes answer when a nonce is already used (geth, reth, Hardhat/EDR, anvil wordings). */
const NONCE_USED =
  /nonce too low|nonce has already been used|replacement transaction underpriced|replacement fee too low|already known|known transaction|already imported/i;

/** The node refused a transaction because its nonce is above the account's next one. */
export function isNonceAhead(e: unknown): boolean {
  const text =
    e instanceof BaseError
      ? `${e.shortMessage} ${e.details ?? ""} ${e.message}`
      : String((e as Error)?.message ?? e);
  return /nonce too high|nonce is too high/i.test(text);
}

/** The node refused a transaction because its nonce is already used or pending with higher fees. */
export function isNonceUsed(e: unknown): boolean {
  if (e instanceof BaseError && e.walk((x) => x instanceof NonceTooLowError)) return true;
  const text =
    e instanceof BaseError
      ? `${e.shortMessage} ${e.details ?? ""} ${e.message}`
      : String((e as Error)?.message ?? e);
  return NONCE_USED.test(text);
}

/** Arguments that cannot be ABI-encoded (wrong length, bad address, out of range): never succeeds. */
export function isInvalidArgument(e: unknown): boolean {
  return (
    e instanceof BaseError &&
    Boolean(
      e.walk(
        (x) =>
          x instanceof AbiEncodingLengthMismatchError ||
          x instanceof AbiEncodingArrayLengthMismatchError ||
          x instanceof AbiEncodingBytesSizeMismatchError ||
          x instanceof InvalidAddressError ||
          x instanceof IntegerOutOfRangeError,
      ),
    )
  );
}
