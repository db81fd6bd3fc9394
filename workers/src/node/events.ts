/**
 * Turns TaskManager / NodeStaking events into jobs, one typed handler per event (the logs are
 * decoded with the generated ABIs). Every action is idempotent (job ids dedupe, steps re-check
 * the chain), so a rescan after a restart or a wiped Redis rebuilds the work.
 */
import { parseEventLogs, type AbiEvent, type Log } from "viem";
import { loadTaskRecord, type NodeContext, type TaskRecord } from "./context.ts";
import { taskLogger } from "./common.ts";
import { nodeStakingAbi, taskManagerAbi } from "../chain/abis.ts";
import { Place, SeedKind } from "../protocol/constants.ts";
import { noteOf, noteSeat, skippedByReputation } from "./skip.ts";

const EVENT_NAMES = [
  "TaskCreated",
  "VerifiersDrawn",
  "Committed",
  "SeatLost",
  "TaskDisputed",
  "SeedRequested",
  "TaskFinalized",
  "TaskUnresolved",
  "Liquidated",
  "Staked",
] as const;
const WANTED: ReadonlySet<string> = new Set(EVENT_NAMES);
const ABI = [...taskManagerAbi, ...nodeStakingAbi] as const;

/** The ABI items of the events the node follows (for the watcher's eth_getLogs). */
export const TASK_EVENTS: readonly AbiEvent[] = ABI.filter(
  (item): item is Extract<(typeof ABI)[number], { type: "event" }> =>
    item.type === "event" && WANTED.has(item.name),
);

type NodeEvent = ReturnType<typeof parseEventLogs<typeof ABI, true, (typeof EVENT_NAMES)[number]>>[number];
type EventOf<N extends NodeEvent["eventName"]> = Extract<NodeEvent, { eventName: N }>;

const TTL_S = 14 * 86_400;

function isMe(ctx: NodeContext, a: string): boolean {
  return a.toLowerCase() === ctx.me.toLowerCase();
}

/** The block of a log (the head when a provider leaves it out). */
function blockOf(ctx: NodeContext, log: { blockNumber: bigint | null }): bigint {
  return log.blockNumber ?? ctx.headNumber();
}

/** Asks for fixSeed(taskId, kind) two blocks after `anchor`, the block that asked for the seed (§8). */
function storeSeed(ctx: NodeContext, taskId: bigint, kind: SeedKind, anchor: bigint): Promise<boolean> {
  return ctx.queues.add({
    data: { step: "seed", taskId: taskId.toString(), kind, anchor: anchor.toString() },
  });
}

async function onTaskCreated(ctx: NodeContext, log: EventOf<"TaskCreated">): Promise<void> {
  const a = log.args;
  const { config, metrics } = ctx.common;
  const rec: TaskRecord = {
    taskId: a.taskId.toString(),
    requester: a.requester,
    modelId: a.modelId.toLowerCase() as TaskRecord["modelId"],
    input: a.input,
    inputURI: a.inputURI,
    inputHash: a.inputHash,
    reward: a.reward.toString(),
    redundancy: Number(a.redundancy),
    resultKey: a.resultKey,
    seatDeadline: a.seatDeadline.toString(),
    revealDeadline: a.revealDeadline.toString(),
  };
  await ctx.redis.set(ctx.key(`task:${a.taskId}`), JSON.stringify(rec), "EX", TTL_S);
  metrics.tasksSeen.inc({ role: config.roles.join("+") });
  const seenAt = Date.now();
  const tlog = taskLogger(ctx.common, a.taskId);
  if (config.roles.includes("compute")) {
    if (!ctx.models.has(rec.modelId)) {
      tlog.debug({ modelId: rec.modelId }, "model not served; skipped");
      metrics.skipped.inc({ reason: "model" });
    } else if (a.reward < config.minReward) {
      tlog.info({ reward: rec.reward }, "reward below minReward; skipped");
      metrics.skipped.inc({ reason: "reward" });
    } else if (a.seatDeadline > ctx.chainNow() && !(await skippedByReputation(ctx, rec, tlog))) {
      await storeSeed(ctx, a.taskId, SeedKind.Seats, blockOf(ctx, log));
      await ctx.queues.add({ data: { step: "infer", taskId: rec.taskId, place: 1, seenAt } });
    }
  }
  if (config.roles.includes("verifier")) {
    await ctx.queues.add({ data: { step: "draw", taskId: rec.taskId }, dueAt: a.seatDeadline });
    await ctx.queues.add({ data: { step: "finalize", taskId: rec.taskId }, dueAt: a.revealDeadline });
  }
}

async function onCommitted(ctx: NodeContext, { args: a }: EventOf<"Committed">): Promise<void> {
  await ctx.redis.sadd(ctx.key(`committers:${a.taskId}`), a.node.toLowerCase());
  if (!isMe(ctx, a.node)) return;
  const taskId = a.taskId.toString();
  const rec = await loadTaskRecord(ctx, a.taskId);
  if (rec && Number(a.place) === Place.Seat) await noteSeat(ctx, rec); // skip.ts
  const revealDeadline = rec ? BigInt(rec.revealDeadline) : undefined;
  await ctx.queues.add({ data: { step: "reveal", taskId }, dueAt: await commitDeadlineOf(ctx, a.taskId) });
  await ctx.queues.add({ data: { step: "finalize", taskId }, dueAt: revealDeadline });
}

async function onLiquidated(ctx: NodeContext, { args: a }: EventOf<"Liquidated">): Promise<void> {
  if (isMe(ctx, a.node)) {
    taskLogger(ctx.common, a.taskId).error(
      { amount: a.amount.toString() },
      "this node was liquidated (slashed)",
    );
    ctx.common.metrics.slashed.inc();
    await noteOf(ctx, a.taskId, "loss"); // skip.ts
  } else if (await ctx.redis.sismember(ctx.key(`committers:${a.taskId}`), ctx.me.toLowerCase())) {
    // A liquidation adds to what the nodes that revealed R can claim: claim again (a repeat that
    // finds nothing new credits nothing; the settle step tolerates it), then withdraw.
    await ctx.queues.add({
      data: { step: "settle", taskId: a.taskId.toString(), action: "claim" },
      suffix: `claim-after-${a.node.toLowerCase()}`,
    });
  }
}

/** A lost seed re-anchored (by this node or another): store it two blocks later if it judges this node. */
async function onSeedRequested(ctx: NodeContext, { args: a }: EventOf<"SeedRequested">): Promise<void> {
  const kind = Number(a.kind) as SeedKind;
  const roles = ctx.common.config.roles;
  if (kind === SeedKind.Seats) {
    const modelId = (await loadTaskRecord(ctx, a.taskId))?.modelId;
    if (!roles.includes("compute") || !modelId || !ctx.models.has(modelId)) return;
  } else if (!roles.includes("verifier")) return;
  await storeSeed(ctx, a.taskId, kind, a.blockNumber);
}

async function onEvent(ctx: NodeContext, log: NodeEvent): Promise<void> {
  const verifier = ctx.common.config.roles.includes("verifier");
  switch (log.eventName) {
    case "Staked":
      await ctx.redis.sadd(ctx.key("nodes"), log.args.node.toLowerCase());
      return;
    case "TaskCreated":
      return onTaskCreated(ctx, log);
    case "VerifiersDrawn":
      if (!verifier) return;
      await storeSeed(ctx, log.args.taskId, SeedKind.Verifiers, blockOf(ctx, log));
      await ctx.queues.add({ data: { step: "infer", taskId: log.args.taskId.toString(), place: 2 } });
      return;
    case "TaskDisputed":
      if (!verifier) return;
      // fixSeed(t, 3) stores the verifier seed first (the dispute may have drawn the verifiers).
      await storeSeed(ctx, log.args.taskId, SeedKind.Jury, blockOf(ctx, log));
      await ctx.queues.add({ data: { step: "infer", taskId: log.args.taskId.toString(), place: 3 } });
      return;
    case "SeedRequested":
      return onSeedRequested(ctx, log);
    case "Committed":
      return onCommitted(ctx, log);
    case "SeatLost":
      if (isMe(ctx, log.args.node)) {
        taskLogger(ctx.common, log.args.taskId).info({ by: log.args.by }, "seat lost to a better rank");
        ctx.common.metrics.lost.inc({ reason: "seat" });
      }
      return;
    case "TaskFinalized":
    case "TaskUnresolved":
      await ctx.queues.add({ data: { step: "finalize", taskId: log.args.taskId.toString() } });
      return;
    case "Liquidated":
      return onLiquidated(ctx, log);
  }
}

/** Handles one range of logs in chain order. */
export async function handleLogs(ctx: NodeContext, logs: Log[]): Promise<void> {
  for (const log of parseEventLogs({ abi: ABI, logs, eventName: [...EVENT_NAMES] })) await onEvent(ctx, log);
}

async function commitDeadlineOf(ctx: NodeContext, taskId: bigint): Promise<bigint> {
  const cached = await ctx.redis.get(ctx.key(`commitDeadline:${taskId}`));
  if (cached) return BigInt(cached);
  const t = await ctx.chain.task(taskId);
  await ctx.redis.set(ctx.key(`commitDeadline:${taskId}`), t.commitDeadline.toString(), "EX", TTL_S);
  return t.commitDeadline;
}
