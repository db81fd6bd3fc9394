/** TaskManager: tasks, commitments, reveals, outcomes, liquidations, payouts, parameters, the pool. */
import { commitment, liquidation, model, node, task } from "ponder:schema";
import type { Handlers } from "./handlers.ts";
import { bumpHour, bumpNetwork, lower, markActive, type Ctx } from "./lib.ts";
import { refreshPool, refreshReputation, setParameter } from "./reads.ts";

type Hex = `0x${string}`;
const PLACE_FIELD = { 1: "seats", 2: "verifiers", 3: "jurors" } as const;

async function touchTask(
  context: Ctx,
  id: bigint,
  timestamp: bigint,
  set: Partial<typeof task.$inferInsert>,
) {
  await context.db.update(task, { id }).set({ ...set, updatedAt: timestamp });
}

export const taskHandlers: Handlers = {
  "TaskManager:TaskCreated": async ({ event, context }) => {
    const a = event.args;
    const t = await context.client.readContract({
      abi: context.contracts.TaskManager.abi,
      address: context.contracts.TaskManager.address!,
      functionName: "getTask",
      args: [a.taskId],
    });
    await context.db.insert(task).values({
      id: a.taskId,
      requester: lower(a.requester),
      modelId: a.modelId,
      reward: a.reward,
      redundancy: a.redundancy,
      inputURI: a.inputURI,
      inputHash: a.inputHash,
      createdAt: event.block.timestamp,
      createdBlock: event.block.number,
      createdTx: event.transaction.hash,
      seatDeadline: a.seatDeadline,
      verifyDeadline: t.verifyDeadline,
      disputeDeadline: t.disputeDeadline,
      commitDeadline: t.commitDeadline,
      revealDeadline: a.revealDeadline,
      status: "Open",
      verifiersDrawn: false,
      disputed: false,
      disputeBond: 0n,
      seats: 0,
      verifiers: 0,
      jurors: 0,
      seatsLost: 0,
      reveals: 0,
      liquidations: 0,
      slashed: 0n,
      claimed: 0n,
      bondsReleased: 0n,
      delivered: false,
      callbackFailed: false,
      updatedAt: event.block.timestamp,
    });
    const m = await context.db.find(model, { id: a.modelId });
    if (m) await context.db.update(model, { id: a.modelId }).set({ tasks: m.tasks + 1 });
    await bumpNetwork(context, { tasks: 1, escrowed: a.reward });
    await bumpHour(context, event.block.timestamp, { tasksCreated: 1 });
    await markActive(context, event.block.timestamp, lower(a.requester));
  },

  "TaskManager:VerifiersDrawn": async ({ event, context }) => {
    await touchTask(context, event.args.taskId, event.block.timestamp, { verifiersDrawn: true });
  },

  "TaskManager:Committed": async ({ event, context }) => {
    const { taskId, place } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    await context.db
      .insert(commitment)
      .values({
        taskId,
        node: who,
        place,
        committedAt: ts,
        tx: event.transaction.hash,
        voided: false,
        revealed: false,
        claimed: 0n,
        bondReleased: 0n,
        liquidated: 0n,
      })
      .onConflictDoUpdate({ place, committedAt: ts, tx: event.transaction.hash, voided: false });
    const field = PLACE_FIELD[place as 1 | 2 | 3];
    if (field)
      await context.db
        .update(task, { id: taskId })
        .set((row) => ({ [field]: row[field] + 1, updatedAt: ts }));
    await context.db
      .update(node, { address: who })
      .set((row) => ({ commitments: row.commitments + 1, lastActive: ts }));
    await bumpHour(context, ts, { commits: 1 });
    await markActive(context, ts, who);
  },

  "TaskManager:SeatLost": async ({ event, context }) => {
    const { taskId } = event.args;
    const who = lower(event.args.node);
    await context.db
      .update(commitment, { taskId, node: who })
      .set({ voided: true, lostTo: lower(event.args.by) });
    await context.db.update(task, { id: taskId }).set((row) => ({
      seats: row.seats - 1,
      seatsLost: row.seatsLost + 1,
      updatedAt: event.block.timestamp,
    }));
    await context.db.update(node, { address: who }).set((row) => ({ commitments: row.commitments - 1 }));
  },

  "TaskManager:TaskDisputed": async ({ event, context }) => {
    const { taskId, by, bond } = event.args;
    await touchTask(context, taskId, event.block.timestamp, {
      disputed: true,
      disputedBy: lower(by),
      disputeBond: bond,
    });
  },

  "TaskManager:Revealed": async ({ event, context }) => {
    const { taskId, outputHash } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    await context.db
      .update(commitment, { taskId, node: who })
      .set({ revealed: true, outputHash, revealedAt: ts });
    await context.db.update(task, { id: taskId }).set((row) => ({ reveals: row.reveals + 1, updatedAt: ts }));
    await context.db
      .update(node, { address: who })
      .set((row) => ({ revealed: row.revealed + 1, lastActive: ts }));
    await markActive(context, ts, who);
  },

  "TaskManager:TaskFinalized": async ({ event, context }) => {
    const { taskId, outputHash, n, m } = event.args;
    const ts = event.block.timestamp;
    const t = await context.db.find(task, { id: taskId });
    await touchTask(context, taskId, ts, {
      status: "Finalized",
      outputHash,
      n: Number(n),
      m: Number(m),
      tied: false,
      settledAt: ts,
    });
    await bumpNetwork(context, { finalized: 1, escrowed: -(t?.reward ?? 0n) });
    await bumpHour(context, ts, { tasksFinalized: 1 });
    await refreshPool(context);
  },

  "TaskManager:TaskUnresolved": async ({ event, context }) => {
    const { taskId, leader, n, m, tied } = event.args;
    const ts = event.block.timestamp;
    const t = await context.db.find(task, { id: taskId });
    await touchTask(context, taskId, ts, {
      status: "Unresolved",
      outputHash: leader,
      n: Number(n),
      m: Number(m),
      tied,
      settledAt: ts,
    });
    await bumpNetwork(context, { unresolved: 1, escrowed: -(t?.reward ?? 0n) });
    await bumpHour(context, ts, { tasksUnresolved: 1 });
    await refreshPool(context);
  },

  "TaskManager:TaskCancelled": async ({ event, context }) => {
    const ts = event.block.timestamp;
    const t = await context.db.find(task, { id: event.args.taskId });
    await touchTask(context, event.args.taskId, ts, { status: "Cancelled", settledAt: ts });
    await bumpNetwork(context, { cancelled: 1, escrowed: -(t?.reward ?? 0n) });
    await bumpHour(context, ts, { tasksCancelled: 1 });
  },

  "TaskManager:Liquidated": async ({ event, context }) => {
    const { taskId, amount } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    const c = await context.db.find(commitment, { taskId, node: who });
    const reason = !c ? "juror" : c.revealed ? "wrong" : "silent";
    await context.db.insert(liquidation).values({
      id: event.id,
      taskId,
      node: who,
      amount,
      liquidator: lower(event.args.liquidator),
      reason,
      timestamp: ts,
      block: event.block.number,
      tx: event.transaction.hash,
    });
    if (c) await context.db.update(commitment, { taskId, node: who }).set({ liquidated: amount });
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ liquidations: row.liquidations + 1, slashed: row.slashed + amount, updatedAt: ts }));
    await bumpNetwork(context, { liquidations: 1, slashed: amount });
    await bumpHour(context, ts, { slashes: 1, slashed: amount });
    await refreshReputation(context, who);
    await refreshReputation(context, lower(event.args.liquidator));
    await refreshPool(context);
  },

  "TaskManager:Claimed": async ({ event, context }) => {
    const { taskId, amount } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    const c = await context.db.find(commitment, { taskId, node: who });
    if (c) await context.db.update(commitment, { taskId, node: who }).set({ claimed: c.claimed + amount });
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ claimed: row.claimed + amount, updatedAt: ts }));
    await context.db.update(node, { address: who }).set((row) => ({ claimed: row.claimed + amount }));
    await bumpNetwork(context, { rewardsClaimed: amount });
    await bumpHour(context, ts, { rewards: amount });
    await refreshReputation(context, who);
  },

  "TaskManager:BondReleased": async ({ event, context }) => {
    const { taskId, amount } = event.args;
    const who = lower(event.args.node);
    const c = await context.db.find(commitment, { taskId, node: who });
    if (c)
      await context.db
        .update(commitment, { taskId, node: who })
        .set({ bondReleased: c.bondReleased + amount });
    await context.db
      .update(task, { id: taskId })
      .set((row) => ({ bondsReleased: row.bondsReleased + amount }));
  },

  "TaskManager:Withdrawn": async ({ event, context }) => {
    const who = lower(event.args.account) as Hex;
    const n = await context.db.find(node, { address: who });
    if (n)
      await context.db.update(node, { address: who }).set({ withdrawn: n.withdrawn + event.args.amount });
  },

  "TaskManager:ResultDelivered": async ({ event, context }) => {
    await touchTask(context, event.args.taskId, event.block.timestamp, { delivered: true });
  },

  "TaskManager:CallbackFailed": async ({ event, context }) => {
    await touchTask(context, event.args.taskId, event.block.timestamp, { callbackFailed: true });
  },

  "TaskManager:ParameterSet": async ({ event, context }) => {
    await setParameter(context, event, "TaskManager", event.args.name, event.args.value);
  },

  "TaskManager:PoolFunded": async ({ context }) => refreshPool(context),
  "TaskManager:PoolSpent": async ({ context }) => refreshPool(context),
  "TaskManager:OwnershipTransferred": async ({ event, context }) => {
    await setParameter(context, event, "TaskManager", "owner", lower(event.args.newOwner));
  },
};
