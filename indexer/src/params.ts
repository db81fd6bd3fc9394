/**
 * Parameters: the `parameter` table (every setter's event) and the TaskManager parameters that a
 * new task copies but its TaskCreated event does not carry (`task_params`). The latter are read
 * from the contract's getters once, at the first task (the constructor's defaults emit no event),
 * and then follow ParameterSet: no contract read per task.
 */
import { parameter, parameterChange, taskParams } from "ponder:schema";
import type { Ctx, LogEvent } from "./lib.ts";

type Hex = `0x${string}`;
export type TaskParams = typeof taskParams.$inferSelect;
const ID = "TaskManager";
const BIGINTS = ["verifyWindow", "disputeWindow", "commitWindow"] as const;
const INTS = ["verifierFeeBps", "liquidatorBountyBps"] as const;

/**
 * The copied parameters in force at `block` (read once, then kept by {@link followParameter}).
 * The read sees the end of the block: a change of one of them later in the very block of the
 * chain's first task would be applied to that task too (the only case it gets wrong).
 */
export async function copiedParams(context: Ctx, block: bigint): Promise<TaskParams> {
  const known = await context.db.find(taskParams, { id: ID });
  if (known) return known;
  const read = (functionName: (typeof BIGINTS)[number] | (typeof INTS)[number]) =>
    context.client.readContract({
      abi: context.contracts.TaskManager.abi,
      address: context.contracts.TaskManager.address!,
      functionName,
      blockNumber: block,
    }) as Promise<bigint | number>;
  const [verifyWindow, disputeWindow, commitWindow, verifierFeeBps, liquidatorBountyBps] = await Promise.all(
    [...BIGINTS, ...INTS].map(read),
  );
  const row: TaskParams = {
    id: ID,
    verifyWindow: BigInt(verifyWindow),
    disputeWindow: BigInt(disputeWindow),
    commitWindow: BigInt(commitWindow),
    verifierFeeBps: Number(verifierFeeBps),
    liquidatorBountyBps: Number(liquidatorBountyBps),
  };
  await context.db.insert(taskParams).values(row);
  return row;
}

/** A ParameterSet of the TaskManager: updates the copied parameters once they are known. */
export async function followParameter(context: Ctx, name: string, value: bigint): Promise<void> {
  const isBig = (BIGINTS as readonly string[]).includes(name);
  if (!isBig && !(INTS as readonly string[]).includes(name)) return;
  if (!(await context.db.find(taskParams, { id: ID }))) return; // read with the change at the first task
  await context.db.update(taskParams, { id: ID }).set({ [name]: isBig ? value : Number(value) });
}

/**
 * The task's `disputer` (an extra address allowed to dispute), which no event names: read only
 * for a wrong-hash liquidation whose liquidator the events cannot place (rare).
 */
export async function disputerOf(context: Ctx, taskId: bigint, block: bigint): Promise<Hex> {
  const t = await context.client.readContract({
    abi: context.contracts.TaskManager.abi,
    address: context.contracts.TaskManager.address!,
    functionName: "getTask",
    args: [taskId],
    blockNumber: block,
  });
  return t.disputer.toLowerCase() as Hex;
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
