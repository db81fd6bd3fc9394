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
  /** Called once when the wait disputes the task, with each node whose sealed output called for it and why. */
  onDispute?: (reasons: DisputeReason[]) => void;
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
  /** When this wait disputed the task: the nodes whose sealed outputs called for it, and why. */
  disputeReasons?: DisputeReason[];
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
  return disputeReasons(reports).length > 0;
}

/**
 * Why one node's sealed output calls for a dispute (PROTOCOL.md §8): it did not decrypt
 * (`DECRYPT_FAILED`), it does not give the node's commitment (`COMMITMENT_MISMATCH`) — either may
 * hide a wrong hash — or it opened fine and differs from the most common output (`DISAGREES`).
 */
export interface DisputeReason {
  node: Address;
  /** 1 seat, 2 sampled verifier, 3 juror. */
  place: number;
  problem: "DECRYPT_FAILED" | "COMMITMENT_MISMATCH" | "DISAGREES";
  /** The hash the node's output opened to (absent when it did not decrypt). */
  outputHash?: Hex;
  transactionHash: Hex;
}

/**
 * The nodes whose sealed outputs call for a dispute, each with its reason: every output that failed
 * its checks, and, when the outputs that opened differ, every one outside the most common output
 * (all of them on a tie). Empty when nothing calls for a dispute.
 */
export function disputeReasons(reports: readonly CommitmentReport[]): DisputeReason[] {
  const reasons: DisputeReason[] = [];
  const votes = new Map<Hex, number>();
  for (const r of reports) {
    if (!r.ok) {
      const problem = r.problem ?? "DECRYPT_FAILED";
      reasons.push({
        node: r.node,
        place: r.place,
        problem,
        outputHash: r.outputHash,
        transactionHash: r.transactionHash,
      });
    } else votes.set(r.outputHash!, (votes.get(r.outputHash!) ?? 0) + 1);
  }
  if (votes.size > 1) {
    const top = Math.max(...votes.values());
    const leaders = [...votes].filter(([, n]) => n === top).map(([h]) => h);
    for (const r of reports)
      if (r.ok && (leaders.length > 1 || r.outputHash !== leaders[0]))
        reasons.push({
          node: r.node,
          place: r.place,
          problem: "DISAGREES",
          outputHash: r.outputHash,
          transactionHash: r.transactionHash,
        });
  }
  return reasons;
}

/** One line naming each node of `reasons` and what is wrong with its sealed output. */
export function describeDisputeReasons(reasons: readonly DisputeReason[]): string {
  const what = {
    DECRYPT_FAILED: "did not decrypt",
    COMMITMENT_MISMATCH: "does not match its commitment",
    DISAGREES: "disagrees",
  };
  return reasons.map((r) => `node ${r.node}'s sealed output ${what[r.problem]}`).join("; ");
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

/** What one wait knows between polls. */
interface WaitState {
  ctx: OmniTensorContext;
  taskId: bigint;
  opts: WaitForResultOptions;
  key?: Hex;
  doFinalize: boolean;
  doReveal: boolean;
  doDeliver: boolean;
  doDispute: boolean;
  reports: Map<Address, CommitmentReport>;
  disputeReasons?: DisputeReason[];
  nextBlock: bigint;
  progress: (t: TaskInfo, now: bigint, message?: string) => void;
}

/** Opens the commitments that arrived since the last poll. */
async function readNew(w: WaitState, blockNumber: bigint): Promise<void> {
  if (!w.key || blockNumber < w.nextBlock) return;
  for (const r of await readCommitments(w.ctx, {
    taskId: w.taskId,
    resultPrivateKey: w.key,
    fromBlock: w.nextBlock,
    toBlock: blockNumber,
  })) {
    w.reports.set(r.node, r);
    w.opts.onCommitment?.(r);
  }
  w.nextBlock = blockNumber + 1n;
}

/** Disputes when asked to and the opened outputs disagree; true when it sent the dispute. */
async function maybeDispute(w: WaitState, task: TaskInfo, now: bigint): Promise<boolean> {
  const live = [...w.reports.values()];
  if (task.status !== "Verifying" || !w.doDispute || task.disputed || now >= task.disputeDeadline)
    return false;
  const reasons = disputeReasons(live);
  if (reasons.length === 0) return false;
  if (await tolerant(() => dispute(w.ctx, w.taskId), ["TaskManagerAlreadyDisputed"])) {
    w.disputeReasons = reasons;
    w.opts.onDispute?.(reasons);
    w.progress(
      task,
      now,
      `disputed the task (bond escrowed, a jury is drawn): ${describeDisputeReasons(reasons)}`,
    );
  }
  return true;
}

/** In the second half of the reveal window, reveals for committed nodes that have not revealed. */
async function maybeRevealLate(w: WaitState, task: TaskInfo, now: bigint): Promise<void> {
  if (task.status !== "Revealing" || !w.doReveal) return;
  if (now < task.revealDeadline - (task.revealDeadline - task.commitDeadline) / 2n) return;
  for (const r of w.reports.values()) {
    if (!r.ok || !r.outputHash || !r.salt) continue;
    const c = await commitmentInfo(w.ctx, w.taskId, r.node);
    if (c.revealed || c.voided) continue;
    if (
      await tolerant(
        () => revealFor(w.ctx, w.taskId, r.node, r.outputHash!, r.salt!),
        ["TaskManagerAlreadyRevealed"],
      )
    )
      w.progress(task, now, `revealed for late node ${r.node}`);
  }
}

/** The result of a Finalized task: delivers it when asked and nobody has, else reads the delivery. */
async function finalResult(w: WaitState, task: TaskInfo, now: bigint): Promise<TaskResult> {
  const live = [...w.reports.values()];
  const match = live.find((r) => r.ok && r.outputHash === task.acceptedOutputHash);
  let output = match?.canonical;
  let delivered = task.delivered;
  if (!delivered && output && w.doDeliver) {
    await tolerant(() => deliver(w.ctx, w.taskId, output!), ["TaskManagerAlreadyDelivered"]);
    delivered = true;
    w.progress(task, now, "delivered the accepted output");
  }
  if (!output && delivered) {
    const logs = await w.ctx.publicClient.getContractEvents({
      address: w.ctx.deployment.contracts.TaskManager,
      abi: taskManagerAbi,
      eventName: "ResultDelivered",
      args: { taskId: w.taskId },
      fromBlock: w.opts.fromBlock ?? BigInt(w.ctx.deployment.startBlock),
      strict: true,
    });
    if (logs[0]) output = hexToBytes(logs[0].args.output);
  }
  return {
    taskId: w.taskId,
    outputHash: task.acceptedOutputHash,
    n: task.n,
    m: task.m,
    output,
    outputText: output ? new TextDecoder().decode(output) : undefined,
    delivered,
    commitments: live,
    ...(w.disputeReasons ? { disputeReasons: w.disputeReasons } : {}),
  };
}

function waitState(ctx: OmniTensorContext, taskId: bigint, opts: WaitForResultOptions): WaitState {
  const key = opts.resultPrivateKey;
  const hasWallet = ctx.walletClient !== undefined;
  let lastMessage = "";
  return {
    ctx,
    taskId,
    opts,
    key,
    doFinalize: opts.finalize ?? hasWallet,
    doReveal: (opts.revealForLateNodes ?? true) && hasWallet && key !== undefined,
    doDeliver: (opts.deliver ?? true) && hasWallet && key !== undefined,
    doDispute: (opts.autoDispute ?? false) && hasWallet && key !== undefined,
    reports: new Map(),
    nextBlock: opts.fromBlock ?? BigInt(ctx.deployment.startBlock),
    progress: (t, now, message = describe(t)) => {
      if (message === lastMessage) return;
      lastMessage = message;
      opts.onProgress?.({ taskId, status: t.status, message, chainTime: now });
    },
  };
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
  const w = waitState(ctx, taskId, opts);
  const interval = opts.pollIntervalMs ?? ctx.pollingIntervalMs ?? 1000;
  const started = Date.now();
  for (;;) {
    opts.signal?.throwIfAborted();
    const task = await getTask(ctx, taskId);
    const { blockNumber, timestamp: now } = await chainNow(ctx);
    await readNew(w, blockNumber);
    w.progress(task, now);
    if (await maybeDispute(w, task, now)) continue;
    await maybeRevealLate(w, task, now);
    if (task.status === "AwaitingFinalize" && w.doFinalize) {
      await tolerant(() => finalize(ctx, taskId), ["TaskManagerNotOpen"]);
      continue;
    }
    if (task.status === "Finalized") return finalResult(w, task, now);
    if (task.status === "Unresolved")
      throw new TaskUnresolvedError(taskId, {
        leader: task.leader,
        n: task.n,
        m: task.m,
        tied: task.tied,
        disputed: task.disputed,
        disputeReasons: w.disputeReasons,
      });
    if (task.status === "Cancelled") throw new TaskCancelledError(taskId);
    if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs)
      throw new WaitTimeoutError(`task ${taskId} (${task.status})`, opts.timeoutMs);
    await new Promise((r) => setTimeout(r, interval));
  }
}
