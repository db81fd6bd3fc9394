/**
 * Decisions about places shared by the steps: whether a seed is known at a block, the seat
 * schedule, the rank race, and a short-lived cache of the task read by infer for its commit.
 */
import { maxUint256, type Address, type Hex } from "viem";
import type { StepContext } from "../context.ts";
import type { Task, TaskManagerErrorName } from "../../chain/reads.ts";
import { Place, SeedKind, TaskStatus, isFinalStatus } from "../../protocol/constants.ts";

/** Commit errors after which the step can never succeed for this node (no more gas spent). */
export const FINAL_COMMIT_ERRORS = [
  "TaskManagerCommitClosed",
  "TaskManagerSeatTaken",
  "TaskManagerNotOpen",
  "TaskManagerTooLate",
  "TaskManagerUnknownTask",
  "TaskManagerNotEligible",
] as const satisfies readonly TaskManagerErrorName[];

/** Whether the task is gone or over (nothing left to commit or reveal). */
export function isOver(t: Pick<Task, "status">): boolean {
  return t.status === TaskStatus.None || isFinalStatus(t.status);
}

/**
 * Whether a seed was unknown in block `at` (PROTOCOL.md §4.1: asked for in block b, known from
 * b + 2 while blockhash(b + 1) answers, i.e. until block b + 257; `getTask` shows it only once
 * stored). An unstored seed older than that is lost until someone calls fixSeed, which
 * re-anchors it (the seed step does). While it is unknown, `isEligible` and `rankOf` answer "no"
 * for every node: such an answer decides nothing. (A view may run as of block `at` + 1, so the
 * last block of the 256 counts as lost already.)
 */
export function seedUnknownAt(seed: Hex, seedBlock: bigint, at: bigint): boolean {
  if (BigInt(seed) !== 0n) return false;
  return seedBlock === 0n || at < seedBlock + 2n || seedLostAt(seed, seedBlock, at);
}

/** Whether an unstored seed asked for in block `seedBlock` is lost in block `at` (fixSeed re-anchors it). */
export function seedLostAt(seed: Hex, seedBlock: bigint, at: bigint): boolean {
  return BigInt(seed) === 0n && seedBlock !== 0n && at + 1n > seedBlock + 256n;
}

/** The seed, the block that asked for it and the commit deadline of a verifier or juror place. */
export function drawOf(t: Task, place: typeof Place.Verifier | typeof Place.Juror) {
  return place === Place.Verifier
    ? { seed: t.verifierSeed, seedBlock: t.verifierSeedBlock, closesAt: t.verifyDeadline }
    : { seed: t.jurySeed, seedBlock: t.jurySeedBlock, closesAt: t.commitDeadline };
}

/**
 * A seed of the task by kind (1 seats, 2 verifiers, 3 jury): its value (zero until stored), the
 * block that asked for it (moved by a re-anchor) and the time after which no commit needs it
 * (verifiers of a disputed task commit until the commit deadline).
 */
export function seedOf(t: Task, kind: SeedKind) {
  if (kind === SeedKind.Seats)
    return { seed: t.seatSeed, seedBlock: t.seatSeedBlock, closesAt: t.seatDeadline };
  if (kind === SeedKind.Verifiers)
    return {
      seed: t.verifierSeed,
      seedBlock: t.verifierSeedBlock,
      closesAt: t.disputed ? t.commitDeadline : t.verifyDeadline,
    };
  return { seed: t.jurySeed, seedBlock: t.jurySeedBlock, closesAt: t.commitDeadline };
}

/** Chain time at which the seat eligibility threshold next doubles. */
export function nextSeatStep(t: Pick<Task, "seatStep" | "createdAt">, now: bigint): bigint {
  const step = t.seatStep > 0n ? t.seatStep : 1n;
  const s = now > t.createdAt ? (now - t.createdAt) / step : 0n;
  return t.createdAt + (s + 1n) * step;
}

/**
 * How many known compute nodes outrank this node (rank, then address) in block `at`. Fewer than
 * `redundancy` means a seat is certain once eligible; the model is run only when the rank gives
 * a real chance.
 */
export async function betterRanked(
  ctx: StepContext,
  taskId: bigint,
  myRank: bigint,
  at?: bigint,
): Promise<number> {
  const me = ctx.me.toLowerCase();
  const nodes = (await ctx.redis.smembers(ctx.key("nodes"))).filter((n) => n !== me);
  const ranks = await Promise.all(nodes.map((n) => ctx.chain.rank(taskId, n as Address, at)));
  let better = 0;
  nodes.forEach((n, i) => {
    const r = ranks[i]!;
    if (r !== maxUint256 && (r < myRank || (r === myRank && n < me))) better++;
  });
  return better;
}

const recent = new WeakMap<StepContext, Map<string, { at: number; t: Task }>>();

/** Keeps a task read for a moment (infer's read is reused by the commit that follows it). */
export function rememberTask(ctx: StepContext, taskId: bigint, t: Task): void {
  let m = recent.get(ctx);
  if (!m) recent.set(ctx, (m = new Map()));
  m.set(taskId.toString(), { at: Date.now(), t });
  if (m.size > 1000) m.delete(m.keys().next().value!);
}

/** The task as read at most `maxAgeMs` ago, or read now. */
export async function recentTask(ctx: StepContext, taskId: bigint, maxAgeMs: number): Promise<Task> {
  const c = recent.get(ctx)?.get(taskId.toString());
  if (c && Date.now() - c.at < maxAgeMs) return c.t;
  const t = await ctx.chain.task(taskId);
  rememberTask(ctx, taskId, t);
  return t;
}
