/** TaskManager: tasks, commitments, reveals, outcomes, liquidations, payouts, parameters, the pool. */
import { commitment, model, node, task } from "ponder:schema";
import type { Handlers } from "./handlers.ts";
import { bumpHour, bumpNetwork, lower, markActive, type Ctx } from "./lib.ts";
import { copiedParams, followParameter, setParameter } from "./params.ts";
import { settlementHandlers } from "./settlement.ts";

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
  ...settlementHandlers,
  "TaskManager:TaskCreated": async ({ event, context }) => {
    const a = event.args;
    const createdAt = event.block.timestamp;
    // The deadlines and rates follow from the parameters in force (PROTOCOL.md §3): no getTask read.
    const p = await copiedParams(context, event.block.number);
    const m = await context.db.find(model, { id: a.modelId });
    await context.db.insert(task).values({
      id: a.taskId,
      requester: lower(a.requester),
      modelId: a.modelId,
      reward: a.reward,
      redundancy: a.redundancy,
      inputURI: a.inputURI,
      inputHash: a.inputHash,
      createdAt,
      createdBlock: event.block.number,
      createdTx: event.transaction.hash,
      seatDeadline: a.seatDeadline,
      verifyDeadline: createdAt + p.verifyWindow,
      disputeDeadline: createdAt + p.disputeWindow,
      commitDeadline: createdAt + p.commitWindow,
      revealDeadline: a.revealDeadline,
      verifierFeeBps: p.verifierFeeBps,
      royaltyBps: m?.royaltyBps ?? 0, // createTask requires a registered model: always indexed
      bountyBps: p.liquidatorBountyBps,
      status: "Open",
      verifiersDrawn: false,
      disputed: false,
      disputeBond: 0n,
      seats: 0,
      verifiers: 0,
      jurors: 0,
      seatsLost: 0,
      reveals: 0,
      verifierVotes: {},
      liquidations: 0,
      slashed: 0n,
      claimed: 0n,
      bondsReleased: 0n,
      delivered: false,
      callbackFailed: false,
      updatedAt: event.block.timestamp,
    });
    if (m) await context.db.update(model, { id: a.modelId }).set((row) => ({ tasks: row.tasks + 1 }));
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
    // NodeStaking's BondLocked came just before, in the same call: its amount is this bond.
    const bond = (await context.db.find(node, { address: who }))?.lastBond ?? 0n;
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
        claims: 0,
        bond,
        bondReleased: 0n,
        liquidated: 0n,
      })
      .onConflictDoUpdate({ place, committedAt: ts, tx: event.transaction.hash, voided: false, bond });
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
    const c = await context.db.find(commitment, { taskId, node: who });
    const isVerifier = c !== null && c.place !== 1; // a sampled verifier or a juror: v of §6
    await context.db
      .update(commitment, { taskId, node: who })
      .set({ revealed: true, outputHash, revealedAt: ts });
    const h = outputHash.toLowerCase();
    await context.db.update(task, { id: taskId }).set((row) => ({
      reveals: row.reveals + 1,
      verifierVotes: isVerifier
        ? { ...row.verifierVotes, [h]: (row.verifierVotes[h] ?? 0) + 1 }
        : row.verifierVotes,
      updatedAt: ts,
    }));
    await context.db
      .update(node, { address: who })
      .set((row) => ({ revealed: row.revealed + 1, lastActive: ts }));
    await markActive(context, ts, who);
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
    await followParameter(context, event.args.name, event.args.value);
  },

  "TaskManager:PoolFunded": async ({ context, event }) =>
    bumpNetwork(context, { verificationPool: event.args.amount }),
  "TaskManager:PoolSpent": async ({ context, event }) =>
    bumpNetwork(context, { verificationPool: -event.args.amount }),
  "TaskManager:OwnershipTransferred": async ({ event, context }) => {
    await setParameter(context, event, "TaskManager", "owner", lower(event.args.newOwner));
  },
};
