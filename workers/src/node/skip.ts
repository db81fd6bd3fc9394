/**
 * Skipping seats by the node's own reputation data (issue 13; config `reputationSkip`, off by
 * default). A seat risks the commit bond, and a liquidation for a wrong hash the unlocked stake
 * (PROTOCOL.md §5–§6): where this node's own record says a kind of task costs it, it stops taking
 * those seats. Two sources, both this node's own:
 *
 * - Redis counters per requester and per model: seats this node committed, and liquidations it
 *   suffered in them (events.ts notes both). A requester or model with at least `minTasks` seats of
 *   which more than `maxLossShare` ended in a liquidation of this node is skipped (for example a
 *   requester whose inputs make this node's model disagree with the network's);
 * - its on-chain counters `reputationOf(me)` (§4.13): when `wrong + silent` liquidations are more
 *   than `maxLossShare` of its decided results (`agreed + wrong + silent`, at least `minTasks`),
 *   the network outvotes it (a model build that differs, a broken machine): it takes no seat until
 *   its operator looks (verifier and juror duties go on: an absent juror is liquidated).
 *
 * Nothing here changes what the contracts do; it is what any bot may do with the data it has.
 */
import type { Logger } from "pino";
import type { Address } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { loadTaskRecord, type NodeContext, type StepContext, type TaskRecord } from "./context.ts";

export interface SkipPolicy {
  enabled: boolean;
  /** Seats (or decided results) needed before a share is judged. */
  minTasks: number;
  /** Largest share of losses a requester, a model or the node's own record may show. */
  maxLossShare: number;
}

/** The counters of `reputationOf` the policy reads. */
export interface OwnRecord {
  agreed: number;
  wrong: number;
  silent: number;
}

type Ctx = Pick<StepContext, "redis" | "key">;
const keysOf = (ctx: Ctx, rec: Pick<TaskRecord, "requester" | "modelId">) => [
  ctx.key(`skip:requester:${rec.requester.toLowerCase()}`),
  ctx.key(`skip:model:${rec.modelId.toLowerCase()}`),
];

async function count(ctx: Ctx, rec: Pick<TaskRecord, "requester" | "modelId">, field: string): Promise<void> {
  const [byRequester, byModel] = keysOf(ctx, rec);
  await ctx.redis.pipeline().hincrby(byRequester, field, 1).hincrby(byModel, field, 1).exec();
}

/**
 * This node committed a seat in a task of `rec`'s requester and model. Counted whether or not
 * the policy is on (one round trip per own seat), so that turning it on finds a history.
 */
export function noteSeat(ctx: Ctx, rec: Pick<TaskRecord, "requester" | "modelId">): Promise<void> {
  return count(ctx, rec, "seats");
}

/** This node was liquidated in a task of `rec`'s requester and model (counted as noteSeat is). */
export function noteLoss(ctx: Ctx, rec: Pick<TaskRecord, "requester" | "modelId">): Promise<void> {
  return count(ctx, rec, "losses");
}

const tooMany = (losses: number, total: number, p: SkipPolicy) =>
  total >= p.minTasks && losses > p.maxLossShare * total;

/** Whether the node's own on-chain record says the network outvotes it. */
export function outvoted(own: OwnRecord, p: SkipPolicy): boolean {
  const lost = own.wrong + own.silent;
  return tooMany(lost, own.agreed + lost, p);
}

/** Why a seat of the task `rec` is skipped by `p` (undefined: take it). */
export async function skipReason(
  ctx: Ctx,
  rec: Pick<TaskRecord, "requester" | "modelId">,
  p: SkipPolicy,
  own?: OwnRecord,
): Promise<string | undefined> {
  if (!p.enabled) return undefined;
  if (own && outvoted(own, p))
    return `own record: ${own.wrong + own.silent} liquidations against ${own.agreed} agreed results`;
  const [byRequester, byModel] = keysOf(ctx, rec);
  for (const [what, k] of [
    ["requester", byRequester],
    ["model", byModel],
  ] as const) {
    const h = await ctx.redis.hgetall(k);
    const seats = Number(h.seats ?? 0);
    const losses = Number(h.losses ?? 0);
    if (tooMany(losses, seats, p)) return `${what}: ${losses} liquidations in ${seats} seats`;
  }
  return undefined;
}

/** The node's own `reputationOf` counters, read from the TaskManager. */
export async function readOwnRecord(
  ctx: Pick<NodeContext, "clients" | "deployment" | "me">,
): Promise<OwnRecord> {
  const r = await ctx.clients.publicClient.readContract({
    address: ctx.deployment.contracts.TaskManager as Address,
    abi: taskManagerAbi,
    functionName: "reputationOf",
    args: [ctx.me],
  });
  return { agreed: Number(r.agreed), wrong: Number(r.wrong), silent: Number(r.silent) };
}

/** Notes a seat (place 1) or a liquidation of this node in task `taskId` (no record kept: nothing). */
export async function noteOf(ctx: Ctx, taskId: bigint, what: "seat" | "loss"): Promise<void> {
  const rec = await loadTaskRecord(ctx, taskId);
  if (!rec) return;
  await (what === "seat" ? noteSeat(ctx, rec) : noteLoss(ctx, rec));
}

/** Whether the policy skips this task's seat (logged and counted as skipped "reputation"). */
export async function skippedByReputation(ctx: NodeContext, rec: TaskRecord, log: Logger): Promise<boolean> {
  const p = ctx.common.config.reputationSkip;
  if (!p?.enabled) return false;
  const why = await skipReason(ctx, rec, p, await readOwnRecord(ctx));
  if (why === undefined) return false;
  log.info({ requester: rec.requester, modelId: rec.modelId, why }, "seat skipped by reputation");
  ctx.common.metrics.skipped.inc({ reason: "reputation" });
  return true;
}
