/** Errors of the worker's chain layer: one base class, a short actionable message, `retryable`. */
export class WorkerError extends Error {
  /** Whether trying the same thing again later can succeed. */
  readonly retryable: boolean;
  constructor(message: string, opts: { retryable: boolean; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "WorkerError";
    this.retryable = opts.retryable;
  }
}

/** The RPC did not answer (network down, timeout, 5xx). Retry with backoff. */
export class RpcUnreachableError extends WorkerError {
  constructor(url: string, cause?: unknown) {
    super(
      `RPC ${url} is unreachable: ${(cause as Error | undefined)?.message?.split("\n")[0] ?? "no answer"}`,
      {
        retryable: true,
        cause,
      },
    );
    this.name = "RpcUnreachableError";
  }
}

/** The call would revert (simulation) or reverted on chain; `errorName` is the custom error, if decoded. */
export class TxRevertError extends WorkerError {
  constructor(
    readonly fn: string,
    readonly errorName: string | undefined,
    readonly detail: string,
    opts: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(`${fn} would revert: ${errorName ?? detail}`, {
      retryable: opts.retryable ?? false,
      cause: opts.cause,
    });
    this.name = "TxRevertError";
  }
}

/** Gas price above the configured cap: waits (retry later), never overpays. */
export class GasCapError extends WorkerError {
  constructor(fn: string, needGwei: number, capGwei: number) {
    super(
      `${fn}: network fee ${needGwei.toFixed(3)} gwei is above the cap gas.maxFeePerGasGwei=${capGwei}; waiting`,
      {
        retryable: true,
      },
    );
    this.name = "GasCapError";
  }
}

/** The wallet cannot pay for the transaction's gas. */
export class NoGasError extends WorkerError {
  constructor(
    readonly account: string,
    readonly balance: bigint,
    readonly need: bigint,
  ) {
    super(`wallet ${account} has no gas: balance ${balance} wei < ${need} wei needed; fund it`, {
      retryable: true,
    });
    this.name = "NoGasError";
  }
}

/** The expected reward does not pay for the gas (profitability guard). */
export class UnprofitableError extends WorkerError {
  constructor(fn: string, reward: bigint, costOmnit: bigint) {
    super(`${fn}: expected reward ${reward} < gas cost ${costOmnit} (OMNIT wei) × profitFactor; skipped`, {
      retryable: false,
    });
    this.name = "UnprofitableError";
  }
}
