/**
 * TaskManager's settlement: outcomes, liquidations and claims, with the verification pool and the
 * nodes' reputation counters (PROTOCOL.md §4.13) derived from the events and the task's copied
 * parameters, as the contracts compute them: no contract read but a rare one for a disputer.
 */
import { commitment, liquidation, node, task } from "ponder:schema";
import type { Handlers } from "./handlers.ts";
import { bumpHour, bumpNetwork, lower, type Ctx } from "./lib.ts";
import { afterSlash, bpsOf, poolOnSettle } from "./money.ts";
import { disputerOf } from "./params.ts";

type Hex = `0x${string}`;
type TaskRow = typeof task.$inferSelect;

/** Adds to a node's counters (only for staked nodes: a liquidator may be anyone). */
async function bumpNode(
  context: Ctx,
  who: Hex,
  delta: { agreed?: number; wrong?: number; silent?: number; earned?: bigint },
): Promise<void> {
  if (!(await context.db.find(node, { address: who }))) return;
  await context.db.update(node, { address: who }).set((row) => ({
    agreed: row.agreed + (delta.agreed ?? 0),
    wrong: row.wrong + (delta.wrong ?? 0),
    silent: row.silent + (delta.silent ?? 0),
    earned: row.earned + (delta.earned ?? 0n),
  }));
}

/** TaskFinalized / TaskUnresolved: the outcome, the escrow released, the fee's rest into the pool. */
async function settle(
  context: Ctx,
  ts: bigint,
  taskId: bigint,
  o: { finalized: boolean; leader: Hex; n: bigint; m: bigint; tied: boolean },
): Promise<void> {
  const t = await context.db.find(task, { id: taskId });
  if (!t) return;
  const pool = poolOnSettle(
    { ...t, live: t.seats + t.verifiers + t.jurors },
    { finalized: o.finalized, leader: o.leader, n: Number(o.n), tied: o.tied },
  );
  const reward = t.reward; // (read before the update: the row may be the cache's own)
  await context.db.update(task, { id: taskId }).set({
    status: o.finalized ? "Finalized" : "Unresolved",
    outputHash: o.leader,
    n: Number(o.n),
    m: Number(o.m),
    tied: o.tied,
    settledAt: ts,
    updatedAt: ts,
  });
  await bumpNetwork(context, {
    ...(o.finalized ? { finalized: 1 } : { unresolved: 1 }),
    escrowed: -reward,
    verificationPool: pool,
  });
  await bumpHour(context, ts, o.finalized ? { tasksFinalized: 1 } : { tasksUnresolved: 1 });
}

/**
 * Whether a liquidation in a Finalized task pays its caller the bounty: the caller revealed the
 * accepted hash, or it is the requester or the task's disputer and the node revealed a wrong hash.
 */
async function bountyDue(context: Ctx, t: TaskRow, caller: Hex, wrongHash: boolean, block: bigint) {
  const mine = await context.db.find(commitment, { taskId: t.id, node: caller });
  if (mine?.revealed && !mine.voided && mine.outputHash?.toLowerCase() === t.outputHash?.toLowerCase())
    return true;
  if (!wrongHash) return false;
  if (caller === t.requester || caller === t.disputedBy) return true;
  return caller === (await disputerOf(context, t.id, block)); // the disputer no event names
}

/** The slash of a liquidation (NodeStaking's Slashed gives only its total): the node's balances after it. */
async function takeSlash(context: Ctx, who: Hex, bond: bigint, slashed: bigint): Promise<void> {
  const n = await context.db.find(node, { address: who });
  if (!n) return;
  const before = { stake: n.stake, locked: n.locked, unbonding: n.unstaking };
  const after = afterSlash(before, bond, slashed);
  await context.db
    .update(node, { address: who })
    .set({ stake: after.stake, locked: after.locked, unstaking: after.unbonding });
  await bumpNetwork(context, { totalStaked: after.stake - before.stake });
}

export const settlementHandlers: Handlers = {
  "TaskManager:TaskFinalized": async ({ event, context }) => {
    const { taskId, outputHash, n, m } = event.args;
    await settle(context, event.block.timestamp, taskId, {
      finalized: true,
      leader: outputHash,
      n,
      m,
      tied: false,
    });
  },

  "TaskManager:TaskUnresolved": async ({ event, context }) => {
    const { taskId, leader, n, m, tied } = event.args;
    await settle(context, event.block.timestamp, taskId, { finalized: false, leader, n, m, tied });
  },

  "TaskManager:TaskCancelled": async ({ event, context }) => {
    const ts = event.block.timestamp;
    const t = await context.db.find(task, { id: event.args.taskId });
    const reward = t?.reward ?? 0n;
    await context.db
      .update(task, { id: event.args.taskId })
      .set({ status: "Cancelled", settledAt: ts, updatedAt: ts });
    await bumpNetwork(context, { cancelled: 1, escrowed: -reward });
    await bumpHour(context, ts, { tasksCancelled: 1 });
  },

  "TaskManager:Liquidated": async ({ event, context }) => {
    const { taskId, amount } = event.args;
    const who = lower(event.args.node);
    const liquidator = lower(event.args.liquidator);
    const ts = event.block.timestamp;
    const c = await context.db.find(commitment, { taskId, node: who });
    const reason = !c ? "juror" : c.revealed ? "wrong" : "silent";
    await context.db.insert(liquidation).values({
      id: event.id,
      ...{ taskId, node: who, amount, liquidator, reason, timestamp: ts },
      ...{ block: event.block.number, tx: event.transaction.hash },
    });
    if (c) await context.db.update(commitment, { taskId, node: who }).set({ liquidated: amount });
    await takeSlash(context, who, c?.bond ?? 0n, amount); // an absent juror locked nothing
    const t = await context.db.find(task, { id: taskId });
    const finalized = t?.status === "Finalized";
    // Finalized: the bounty (if due) is credited to the caller, the rest split among the winners
    // (claimed later); Unresolved: all of it to the pool.
    const bounty =
      t && finalized && (await bountyDue(context, t, liquidator, reason === "wrong", event.block.number))
        ? bpsOf(amount, t.bountyBps)
        : 0n;
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ liquidations: row.liquidations + 1, slashed: row.slashed + amount, updatedAt: ts }));
    await bumpNode(context, who, reason === "wrong" ? { wrong: 1 } : { silent: 1 });
    if (bounty !== 0n) await bumpNode(context, liquidator, { earned: bounty });
    await bumpNetwork(context, {
      liquidations: 1,
      slashed: amount,
      verificationPool: finalized ? 0n : amount,
    });
    await bumpHour(context, ts, { slashes: 1, slashed: amount });
  },

  "TaskManager:Claimed": async ({ event, context }) => {
    const { taskId, amount } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    const c = await context.db.find(commitment, { taskId, node: who });
    const first = (c?.claims ?? 0) === 0;
    if (c)
      await context.db
        .update(commitment, { taskId, node: who })
        .set((row) => ({ claimed: row.claimed + amount, claims: row.claims + 1 }));
    const t = await context.db.find(task, { id: taskId });
    const agreed = first && t?.status === "Finalized" ? 1 : 0; // counted at the first claim
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ claimed: row.claimed + amount, updatedAt: ts }));
    await context.db.update(node, { address: who }).set((row) => ({ claimed: row.claimed + amount }));
    await bumpNode(context, who, { agreed, earned: amount });
    await bumpNetwork(context, { rewardsClaimed: amount });
    await bumpHour(context, ts, { rewards: amount });
  },
};
