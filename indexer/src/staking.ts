/** NodeStaking, ModelRegistry and OmniToken: nodes' stakes and roles, models, token transfers. */
import { model, network, node } from "ponder:schema";
import type { Handlers } from "./handlers.ts";
import { bumpNetwork, lower } from "./lib.ts";
import { setParameter } from "./params.ts";

export const stakingHandlers: Handlers = {
  "NodeStaking:Staked": async ({ event, context }) => {
    const { amount, roles, metadataURI } = event.args;
    const who = lower(event.args.node);
    const ts = event.block.timestamp;
    const existing = await context.db.find(node, { address: who });
    if (existing) {
      await context.db
        .update(node, { address: who })
        .set({ stake: existing.stake + amount, roles, metadataURI, lastActive: ts });
    } else {
      await context.db.insert(node).values({
        address: who,
        stake: amount,
        roles,
        active: false,
        activeSince: 0n,
        metadataURI,
        unstaking: 0n,
        locked: 0n,
        lastBond: 0n,
        firstSeen: ts,
        lastActive: ts,
        commitments: 0,
        revealed: 0,
        agreed: 0,
        wrong: 0,
        silent: 0,
        earned: 0n,
        claimed: 0n,
        slashed: 0n,
        withdrawn: 0n,
      });
    }
    await bumpNetwork(context, { totalStaked: amount, nodes: existing ? 0 : 1 });
  },

  "NodeStaking:NodeStatusChanged": async ({ event, context }) => {
    const { roles, active, since } = event.args;
    const who = lower(event.args.node);
    if (!(await context.db.find(node, { address: who }))) return;
    await context.db.update(node, { address: who }).set({ roles, active, activeSince: BigInt(since) });
  },

  "NodeStaking:UnstakeRequested": async ({ event, context }) => {
    const { amount } = event.args;
    await context.db
      .update(node, { address: lower(event.args.node) })
      .set((row) => ({ stake: row.stake - amount, unstaking: row.unstaking + amount }));
    await bumpNetwork(context, { totalStaked: -amount });
  },

  "NodeStaking:Unbonded": async ({ event, context }) => {
    await context.db.update(node, { address: lower(event.args.node) }).set({ unstaking: 0n });
  },

  "NodeStaking:BondLocked": async ({ event, context }) => {
    const { amount } = event.args;
    await context.db
      .update(node, { address: lower(event.args.node) })
      .set((row) => ({ locked: row.locked + amount, lastBond: amount }));
  },

  "NodeStaking:BondReleased": async ({ event, context }) => {
    const { amount } = event.args;
    await context.db
      .update(node, { address: lower(event.args.node) })
      .set((row) => ({ locked: row.locked - amount }));
  },

  "NodeStaking:Slashed": async ({ event, context }) => {
    const who = lower(event.args.node);
    await context.db
      .update(node, { address: who })
      .set((row) => ({ slashed: row.slashed + event.args.amount }));
    // How the slash split between the bond, the stake and the unbonding amount: at the
    // TaskManager's Liquidated that follows in the same transaction (src/settlement.ts), which
    // names the task and so the bond.
  },

  "NodeStaking:MinStakeSet": async ({ event, context }) => {
    await setParameter(context, event, "NodeStaking", "minStake", event.args.minStake);
  },
  "NodeStaking:UnbondingPeriodSet": async ({ event, context }) => {
    await setParameter(context, event, "NodeStaking", "unbondingPeriod", event.args.unbondingPeriod);
  },
  "NodeStaking:TaskManagerSet": async ({ event, context }) => {
    await setParameter(context, event, "NodeStaking", "taskManager", lower(event.args.taskManager));
  },
  "NodeStaking:OwnershipTransferred": async ({ event, context }) => {
    await setParameter(context, event, "NodeStaking", "owner", lower(event.args.newOwner));
  },

  "ModelRegistry:ModelRegistered": async ({ event, context }) => {
    const a = event.args;
    await context.db.insert(model).values({
      id: a.modelId,
      owner: lower(a.owner),
      onnxSha256: a.onnxSha256,
      uri: a.uri,
      spec: a.spec,
      royaltyBps: a.royaltyBps,
      tasks: 0,
      registeredAt: event.block.timestamp,
    });
  },

  "OmniToken:Transfer": async ({ context }) => {
    await bumpNetwork(context, {});
    await context.db.update(network, { id: "network" }).set((row) => ({ transfers: row.transfers + 1 }));
  },
};
