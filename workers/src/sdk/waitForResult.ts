import { hexToBytes, type Address, type Hex } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { deliver, dispute, finalize, revealFor } from "./actions.ts";
import type { OmniTensorContext } from "./context.ts";
import { ContractRevertError, TaskCancelledError, TaskUnresolvedError, WaitTimeoutError } from "./errors.ts";
import { chainNow, commitmentInfo, getTask, type TaskInfo, type TaskStatusName } from "./tasks.ts";
import { readCommitments, type CommitmentReport } from "./watchCommitments.ts";

/** One line of progress while a task runs. */
export interface TaskProgress {
  taskId: bigint;
  status: TaskStatusName;
  /** What happened or what the task waits for, in words. */
  message: string;
  /** Chain time (seconds) when it was seen. */
  chainTime: bigint;
}

export interface WaitForResultOptions {
  /** The result private key: opens sealed outputs (needed to reveal for late nodes, dispute and deliver). */
  resultPrivateKey?: Hex;
  onProgress?: (p: TaskProgress) => void;
  onCommitment?: (r: CommitmentReport) => void;
  /** Poll every `pollIntervalMs` (default: the context's polling interval). */
  pollIntervalMs?: number;
  /** Give up after this long (default: no limit). */
  timeoutMs?: number;
  /** Call finalize once the reveal deadline passes (default true when the context has a wallet). */
  finalize?: boolean;
  /** Reveal for committed nodes that have not revealed by the middle of the reveal window (default true with key and wallet). */
  revealForLateNodes?: boolean;
  /** Dispute when the opened outputs disagree or fail their checks (default false: it escrows a bond equal to the reward). */
  autoDispute?: boolean;
  /** The block to read commitments from: the task's creation block when known (default: the deployment's start block). */
  fromBlock?: bigint;
  /** Stops the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Deliver the accepted output (pushing it to the callback) when nobody has (default true with key and wallet). */
  deliver?: boolean;
}

export interface TaskResult {
  taskId: bigint;
  outputHash: Hex;
  /** Votes for the accepted hash, and other reveals. */
  n: number;
  m: number;
  /** The accepted canonical output, when the key opened it or it was delivered. */
  output?: Uint8Array;
  outputText?: string;
  delivered: boolean;
  commitments: CommitmentReport[];
}

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");

function describe(t: TaskInfo): string {
  switch (t.status) {
    case "Seating":
      return `waiting for compute nodes: ${t.seatHolders.length}/${t.redundancy} seats committed (seats open until ${iso(t.seatDeadline)})`;
    case "Verifying":
      return `${t.seatHolders.length}/${t.redundancy} seats committed, ${t.committedVerifiers} verifiers${t.disputed ? `, disputed (${t.committedJurors} jurors)` : ""}; reveals open at ${iso(t.commitDeadline)}`;
    case "Revealing":
      return `revealing: ${t.revealedCount} revealed; reveals close at ${iso(t.revealDeadline)}`;
    case "AwaitingFinalize":
      return "reveal window closed: waiting for finalize";
    case "Finalized":
      return `finalized: output ${t.acceptedOutputHash} accepted (${t.n} votes, ${t.m} others)`;
    case "Unresolved":
      return `unresolved (${t.n} votes for the leading hash, ${t.m} others${t.tied ? ", tied" : ""})`;
    case "Cancelled":
      return "cancelled";
    default:
      return t.status;
  }
}

/** Whether the opened outputs call for a dispute: one failed its checks, or two differ. */
export function outputsDisagree(reports: readonly CommitmentReport[]): boolean {
  if (reports.some((r) => !r.ok)) return true;
  return new Set(reports.map((r) => r.outputHash)).size > 1;
}

/** Sends a transaction that may lose a race with another caller: such a revert is ignored. */
async function tolerant(fn: () => Promise<unknown>, raced: string[]): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    if (e instanceof ContractRevertError && e.errorName && raced.includes(e.errorName)) return false;
    throw e;
  }
}

/**
 * Follows a task to its end and returns the accepted result. On the way (each optional) it
 * opens and checks sealed outputs as they arrive, disputes on disagreement, reveals for late
 * nodes, finalizes and delivers. Throws `TaskUnresolvedError` (what happened, and that the
 * escrow is credited for withdrawal) or `TaskCancelledError`.
 */
export async function waitForResult(
  ctx: OmniTensorContext,
  taskId: bigint,
  opts: WaitForResultOptions = {},
): Promise<TaskResult> {
  const key = opts.resultPrivateKey;
  const hasWallet = ctx.walletClient !== undefined;
  const doFinalize = opts.finalize ?? hasWallet;
  const doReveal = (opts.revealForLateNodes ?? true) && hasWallet && key !== undefined;
  const doDeliver = (opts.deliver ?? true) && hasWallet && key !== undefined;
  const doDispute = (opts.autoDispute ?? false) && hasWallet && key !== undefined;
  const interval = opts.pollIntervalMs ?? ctx.pollingIntervalMs ?? 1000;
  const started = Date.now();
  const reports = new Map<Address, CommitmentReport>();
  let nextBlock = opts.fromBlock ?? BigInt(ctx.deployment.startBlock);
  let lastMessage = "";
  const progress = (t: TaskInfo, now: bigint, message = describe(t)) => {
    if (message === lastMessage) return;
    lastMessage = message;
    opts.onProgress?.({ taskId, status: t.status, message, chainTime: now });
  };

  for (;;) {
    opts.signal?.throwIfAborted();
    const task = await getTask(ctx, taskId);
    const { blockNumber, timestamp: now } = await chainNow(ctx);
    if (key && blockNumber >= nextBlock) {
      for (const r of await readCommitments(ctx, {
        taskId,
        resultPrivateKey: key,
        fromBlock: nextBlock,
        toBlock: blockNumber,
      })) {
        reports.set(r.node, r);
        opts.onCommitment?.(r);
      }
      nextBlock = blockNumber + 1n;
    }
    progress(task, now);
    const live = [...reports.values()];

    if (
      task.status === "Verifying" &&
      doDispute &&
      !task.disputed &&
      now < task.disputeDeadline &&
      live.length > 0 &&
      outputsDisagree(live)
    ) {
      if (await tolerant(() => dispute(ctx, taskId), ["TaskManagerAlreadyDisputed"]))
        progress(task, now, "the outputs disagree: disputed the task (bond escrowed, a jury is drawn)");
      continue;
    }
    if (
      task.status === "Revealing" &&
      doReveal &&
      now >= task.revealDeadline - (task.revealDeadline - task.commitDeadline) / 2n
    ) {
      for (const r of live) {
        if (!r.ok || !r.outputHash || !r.salt) continue;
        const c = await commitmentInfo(ctx, taskId, r.node);
        if (c.revealed || c.voided) continue;
        if (
          await tolerant(
            () => revealFor(ctx, taskId, r.node, r.outputHash!, r.salt!),
            ["TaskManagerAlreadyRevealed"],
          )
        )
          progress(task, now, `revealed for late node ${r.node}`);
      }
    }
    if (task.status === "AwaitingFinalize" && doFinalize) {
      await tolerant(() => finalize(ctx, taskId), ["TaskManagerNotOpen"]);
      continue;
    }
    if (task.status === "Finalized") {
      const match = live.find((r) => r.ok && r.outputHash === task.acceptedOutputHash);
      let output = match?.canonical;
      let delivered = task.delivered;
      if (!delivered && output && doDeliver) {
        await tolerant(() => deliver(ctx, taskId, output!), ["TaskManagerAlreadyDelivered"]);
        delivered = true;
        progress(task, now, "delivered the accepted output");
      }
      if (!output && delivered) {
        const logs = await ctx.publicClient.getContractEvents({
          address: ctx.deployment.contracts.TaskManager,
          abi: taskManagerAbi,
          eventName: "ResultDelivered",
          args: { taskId },
          fromBlock: opts.fromBlock ?? BigInt(ctx.deployment.startBlock),
          strict: true,
        });
        if (logs[0]) output = hexToBytes(logs[0].args.output);
      }
      return {
        taskId,
        outputHash: task.acceptedOutputHash,
        n: task.n,
        m: task.m,
        output,
        outputText: output ? new TextDecoder().decode(output) : undefined,
        delivered,
        commitments: live,
      };
    }
    if (task.status === "Unresolved")
      throw new TaskUnresolvedError(taskId, {
        leader: task.leader,
        n: task.n,
        m: task.m,
        tied: task.tied,
        disputed: task.disputed,
      });
    if (task.status === "Cancelled") throw new TaskCancelledError(taskId);
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs)
      throw new WaitTimeoutError(`task ${taskId} (${task.status})`, opts.timeoutMs);
    await new Promise((r) => setTimeout(r, interval));
  }
}
