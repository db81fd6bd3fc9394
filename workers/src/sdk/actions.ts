/** The requester's other transactions: dispute, reveal for a late node, finalize, deliver, claim, withdraw. */
import { type Address, type Hex, type TransactionReceipt } from "viem";
import { taskManagerAbi } from "../chain/abis.ts";
import { assertBytes32 } from "../protocol/bytes.ts";
import { sendTx, type OmniTensorContext } from "./context.ts";
import { ensureOmnit } from "./staking.ts";
import { getTask } from "./tasks.ts";

const tm = (ctx: OmniTensorContext) => ({
  address: ctx.deployment.contracts.TaskManager,
  abi: taskManagerAbi,
});

/**
 * Disputes a task (the requester or its disputer, after the seat window and before the dispute
 * deadline): escrows a bond equal to the reward (approving it first) and draws a jury.
 */
export async function dispute(ctx: OmniTensorContext, taskId: bigint): Promise<TransactionReceipt> {
  const task = await getTask(ctx, taskId);
  await ensureOmnit(
    ctx,
    ctx.deployment.contracts.TaskManager,
    task.reward,
    "the dispute bond (equal to the reward)",
  );
  return sendTx(ctx, { ...tm(ctx), functionName: "dispute", args: [taskId] });
}

/** Reveals a node's commitment for it (anyone may, in the reveal window): the SDK holds every node's salt. */
export async function revealFor(
  ctx: OmniTensorContext,
  taskId: bigint,
  node: Address,
  outputHash: Hex,
  salt: Hex,
): Promise<TransactionReceipt> {
  return sendTx(ctx, {
    ...tm(ctx),
    functionName: "reveal",
    args: [taskId, node, assertBytes32("outputHash", outputHash), assertBytes32("salt", salt)],
  });
}

/** Applies the consensus rule once the reveal deadline has passed (anyone). */
export async function finalize(ctx: OmniTensorContext, taskId: bigint): Promise<TransactionReceipt> {
  return sendTx(ctx, { ...tm(ctx), functionName: "finalize", args: [taskId] });
}

/** Delivers the accepted canonical output of a Finalized task and pushes it to the callback (anyone, once). */
export async function deliver(
  ctx: OmniTensorContext,
  taskId: bigint,
  output: Uint8Array | Hex,
): Promise<TransactionReceipt> {
  const bytes = typeof output === "string" ? output : (`0x${Buffer.from(output).toString("hex")}` as Hex);
  return sendTx(ctx, { ...tm(ctx), functionName: "deliver", args: [taskId, bytes] });
}

/** Cancels a task that no node took (the requester, after the seat window): the escrow comes back at once. */
export async function cancel(ctx: OmniTensorContext, taskId: bigint): Promise<TransactionReceipt> {
  return sendTx(ctx, { ...tm(ctx), functionName: "cancel", args: [taskId] });
}

/** Credits the sender's share in a settled task and releases its bond (nodes). */
export async function claim(ctx: OmniTensorContext, taskId: bigint): Promise<TransactionReceipt> {
  return sendTx(ctx, { ...tm(ctx), functionName: "claim", args: [taskId] });
}

/** Pays out the sender's credit (refunds, shares, bounties). Returns the amount, 0 when there was none. */
export async function withdraw(
  ctx: OmniTensorContext,
): Promise<{ amount: bigint; receipt?: TransactionReceipt }> {
  const account = ctx.walletClient?.account.address;
  const amount = account
    ? await ctx.publicClient.readContract({ ...tm(ctx), functionName: "creditOf", args: [account] })
    : 0n;
  if (account && amount === 0n) return { amount };
  const receipt = await sendTx(ctx, { ...tm(ctx), functionName: "withdraw", args: [] });
  return { amount, receipt };
}

/** An account's credit waiting to be withdrawn. */
export async function creditOf(ctx: OmniTensorContext, account: Address): Promise<bigint> {
  return ctx.publicClient.readContract({ ...tm(ctx), functionName: "creditOf", args: [account] });
}
