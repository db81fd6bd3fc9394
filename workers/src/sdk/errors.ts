/**
 * The SDK's errors: one base class (`OmniTensorError`, shared with the §7 encodings), each with a
 * stable `code` and a short message that says what to do next.
 */
import type { Address } from "viem";
import { TxRevertError } from "../chain/errors.ts";
import { OmniTensorError } from "../protocol/errors.ts";

export { OmniTensorError, ProtocolEncodingError, SealedOutputError } from "../protocol/errors.ts";
/** One class for the node and the SDK: the RPC did not answer (`details` says what to do). */
export { RpcUnreachableError, TxRevertError } from "../chain/errors.ts";

/** There is no OmniTensor deployment for the chain the RPC serves. */
export class NoDeploymentError extends OmniTensorError {
  constructor(
    readonly chainId: number,
    detail?: string,
  ) {
    super(
      `no deployment for chain ${chainId}${detail ? ` (${detail})` : ""}: run npm run deploy -- --network <name>` +
        ` (localhost for a local node), or set OMNIT_TOKEN, NODE_STAKING, MODEL_REGISTRY and TASK_MANAGER`,
      "NO_DEPLOYMENT",
    );
    this.name = "NoDeploymentError";
  }
}

/** The action sends a transaction but the client has no account. */
export class MissingAccountError extends OmniTensorError {
  constructor(readonly action: string) {
    super(
      `${action} sends a transaction: give a private key (connect({ privateKey }); on the command line --key, or REQUESTER_PRIVATE_KEY / NODE_PRIVATE_KEY / PRIVATE_KEY)`,
      "NO_ACCOUNT",
    );
    this.name = "MissingAccountError";
  }
}

/** The account lacks OMNIT (for a reward, bond or stake) or the native coin for gas. */
export class InsufficientFundsError extends OmniTensorError {
  constructor(
    readonly account: Address,
    readonly asset: "OMNIT" | "gas",
    readonly have: bigint,
    readonly need: bigint,
    readonly what: string,
    readableHave: string,
    readableNeed: string,
  ) {
    super(
      asset === "OMNIT"
        ? `account ${account} holds ${readableHave} OMNIT but ${what} needs ${readableNeed} OMNIT: get OMNIT first (omnitensor token transfer from an account that holds some; on a local chain omnitensor dev faucet)`
        : `account ${account} has ${readableHave} of the native coin, not enough gas for ${what}: fund it first (on a local chain: omnitensor dev faucet)`,
      asset === "OMNIT" ? "INSUFFICIENT_OMNIT" : "INSUFFICIENT_GAS",
    );
    this.name = "InsufficientFundsError";
  }
}

/** The model id is not registered in the ModelRegistry. */
export class UnknownModelError extends OmniTensorError {
  constructor(readonly modelId: string) {
    super(
      `model ${modelId} is not registered on this chain: check the id, or register it (omnitensor model register)`,
      "UNKNOWN_MODEL",
    );
    this.name = "UnknownModelError";
  }
}

/** No task has this id. */
export class TaskNotFoundError extends OmniTensorError {
  constructor(readonly taskId: bigint) {
    super(`task ${taskId} does not exist on this deployment (ids start at 1)`, "TASK_NOT_FOUND");
    this.name = "TaskNotFoundError";
  }
}

/** The task ended Unresolved: no result was accepted. */
export class TaskUnresolvedError extends OmniTensorError {
  constructor(
    readonly taskId: bigint,
    readonly detail: {
      leader: string;
      n: number;
      m: number;
      tied: boolean;
      disputed: boolean;
      /** When the wait disputed: each node whose sealed output called for it, and why. */
      disputeReasons?: readonly { node: string; problem: string }[];
    },
  ) {
    const what =
      detail.n + detail.m === 0
        ? "no node revealed a result"
        : detail.tied
          ? `the reveals tied (${detail.n} votes for the leading hash, ${detail.m} others)`
          : `the nodes disagreed (${detail.n} votes for the leading hash, ${detail.m} others)${detail.disputed ? " and the dispute did not reach the threshold" : ""}`;
    const why = detail.disputeReasons?.length
      ? ` (disputed for: ${detail.disputeReasons.map((r) => `${r.node} ${r.problem}`).join(", ")})`
      : "";
    super(
      `task ${taskId} ended Unresolved: ${what}${why}. No result was accepted; what the protocol owes you ` +
        `(escrow refund, unpaid seats, dispute bond) is credited: withdraw it (omnitensor task result ${taskId} --withdraw, or sdk.withdraw())`,
      "TASK_UNRESOLVED",
    );
    this.name = "TaskUnresolvedError";
  }
}

/** The task was cancelled by its requester. */
export class TaskCancelledError extends OmniTensorError {
  constructor(readonly taskId: bigint) {
    super(
      `task ${taskId} was cancelled: no node took a seat, and the escrow went back to the requester`,
      "TASK_CANCELLED",
    );
    this.name = "TaskCancelledError";
  }
}

/**
 * A transaction would revert (or reverted): the chain layer's `TxRevertError` (one class for the
 * node and the SDK, matched by `errorName`, the contract's decoded custom error), with the
 * error's arguments and the SDK's field names.
 */
export class ContractRevertError extends TxRevertError {
  constructor(
    readonly functionName: string,
    errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    detail: string,
    cause?: unknown,
  ) {
    super(functionName, errorName, errorName ? `${errorName}(${errorArgs.map(String).join(", ")})` : detail, {
      cause,
    });
    this.name = "ContractRevertError";
  }
}

/** Waiting for something on chain took longer than allowed. */
export class WaitTimeoutError extends OmniTensorError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(
      `gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s; run the command again to keep waiting`,
      "TIMEOUT",
    );
    this.name = "WaitTimeoutError";
  }
}
