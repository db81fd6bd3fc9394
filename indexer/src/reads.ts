/** State the events do not carry, read from the contracts' views at the event's block. */
import { network, node, parameter, parameterChange } from "ponder:schema";
import { bumpNetwork, type Ctx, type LogEvent } from "./lib.ts";

type Hex = `0x${string}`;

/** Copies TaskManager.reputationOf(node) into the node's row (only for staked nodes). */
export async function refreshReputation(context: Ctx, who: Hex): Promise<void> {
  const n = await context.db.find(node, { address: who });
  if (!n) return;
  const r = await context.client.readContract({
    abi: context.contracts.TaskManager.abi,
    address: context.contracts.TaskManager.address!,
    functionName: "reputationOf",
    args: [who],
  });
  await context.db.update(node, { address: who }).set({
    commitments: r.commitments,
    revealed: r.revealed,
    agreed: r.agreed,
    wrong: r.wrong,
    silent: r.silent,
    earned: r.earned,
  });
}

/** The verification pool also grows at finalize (the unpaid verifier fee), which no event states. */
export async function refreshPool(context: Ctx): Promise<void> {
  const pool = await context.client.readContract({
    abi: context.contracts.TaskManager.abi,
    address: context.contracts.TaskManager.address!,
    functionName: "verificationPool",
  });
  await bumpNetwork(context, {});
  await context.db.update(network, { id: "network" }).set({ verificationPool: pool });
}

/** Records a parameter's new value and the change. */
export async function setParameter(
  context: Ctx,
  event: LogEvent,
  contract: string,
  name: string,
  value: bigint | string,
): Promise<void> {
  const v = String(value);
  const ts = event.block.timestamp;
  const tx = event.transaction.hash;
  await context.db
    .insert(parameter)
    .values({ contract, name, value: v, updatedAt: ts, tx })
    .onConflictDoUpdate({ value: v, updatedAt: ts, tx });
  await context.db
    .insert(parameterChange)
    .values({ id: event.id, contract, name, value: v, timestamp: ts, tx });
}
