/** The requester's other transactions: dispute, reveal for late nodes, finalize, deliver, cancel, claim, withdraw, transfer. */
import { type Address, type Hex, type TransactionReceipt } from "viem";
import { omniTokenAbi, taskManagerAbi } from "../chain/abis.ts";
import { assertAddress, assertBytes32 } from "../protocol/bytes.ts";
import { ProtocolEncodingError } from "../protocol/errors.ts";
import { formatOmnit, parseOmnit } from "./amounts.ts";
import { requireWallet, sendTx, type OmniTensorContext } from "./context.ts";
import { ContractRevertError, InsufficientFundsError } from "./errors.ts";
import { ensureOmnit } from "./staking.ts";
import { commitmentInfo, getTask } from "./tasks.ts";
import { readCommitments } from "./watchCommitments.ts";

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

/**
 * Credits each `nodes[i]` its share in `taskIds[i]` and releases its bond, in one transaction
 * (anyone may send it; the credit goes to the node, never to the sender). Entries with nothing
 * to claim are skipped.
 */
export async function claimBatch(
  ctx: OmniTensorContext,
  taskIds: readonly bigint[],
  nodes: readonly Address[],
): Promise<TransactionReceipt> {
  if (taskIds.length !== nodes.length)
    throw new ProtocolEncodingError("nodes", `has ${nodes.length} entries, taskIds ${taskIds.length}`);
  const checked = nodes.map((n, i) => assertAddress(`nodes[${i}]`, n));
  return sendTx(ctx, { ...tm(ctx), functionName: "claimBatch", args: [[...taskIds], checked] });
}

/** The seed kinds of a task (PROTOCOL.md §4.1), by name. */
export const SEED_KINDS = { seats: 1, verifiers: 2, jury: 3 } as const;
export type SeedKindName = keyof typeof SEED_KINDS;

/**
 * `fixSeed(taskId, kind)` (anyone): stores a seed that is known, or re-anchors one that was lost
 * (asked for more than 256 blocks ago and never stored: `SeedRequested`, the seed then comes from
 * the next block; call again two blocks later to store it). A no-op when stored or not yet known.
 */
export async function fixSeed(
  ctx: OmniTensorContext,
  taskId: bigint,
  kind: SeedKindName,
): Promise<TransactionReceipt> {
  return sendTx(ctx, { ...tm(ctx), functionName: "fixSeed", args: [taskId, SEED_KINDS[kind]] });
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

/** Sends `amount` OMNIT (decimal string, or bigint wei) from the sender to `to`; checks the balance first. */
export async function transferOmnit(
  ctx: OmniTensorContext,
  to: Address,
  amount: string | bigint,
): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const { account } = requireWallet(ctx, "transfer");
  const wei = parseOmnit("amount", amount);
  if (wei === 0n) throw new ProtocolEncodingError("amount", "must be more than 0");
  const balance = await omnitBalance(ctx, account);
  if (balance < wei)
    throw new InsufficientFundsError(
      account,
      "OMNIT",
      balance,
      wei,
      "the transfer",
      formatOmnit(balance),
      formatOmnit(wei),
    );
  const receipt = await sendTx(ctx, {
    address: ctx.deployment.contracts.OmniToken,
    abi: omniTokenAbi,
    functionName: "transfer",
    args: [assertAddress("to", to), wei],
  });
  return { amount: wei, receipt };
}

/** An account's OMNIT balance (wei). */
export async function omnitBalance(ctx: OmniTensorContext, account: Address): Promise<bigint> {
  return ctx.publicClient.readContract({
    address: ctx.deployment.contracts.OmniToken,
    abi: omniTokenAbi,
    functionName: "balanceOf",
    args: [account],
  });
}

/** What `revealLateNodes` did for one commitment. */
export interface LateReveal {
  node: Address;
  /** "revealed" by this call; "already" revealed (or voided); "unopened": its sealed output did not open or check. */
  outcome: "revealed" | "already" | "unopened";
}

/**
 * Reveals, for every node whose sealed output opens with the result key and matches its
 * commitment, the commitments not revealed yet (anyone may, in the reveal window). A node that
 * reveals first (a race) counts as "already".
 */
export async function revealLateNodes(
  ctx: OmniTensorContext,
  taskId: bigint,
  resultPrivateKey: Hex,
  opts: { fromBlock?: bigint } = {},
): Promise<LateReveal[]> {
  const reports = await readCommitments(ctx, { taskId, resultPrivateKey, fromBlock: opts.fromBlock });
  const out: LateReveal[] = [];
  for (const r of reports) {
    if (!r.ok || !r.outputHash || !r.salt) {
      out.push({ node: r.node, outcome: "unopened" });
      continue;
    }
    const c = await commitmentInfo(ctx, taskId, r.node);
    if (c.revealed || c.voided) {
      out.push({ node: r.node, outcome: "already" });
      continue;
    }
    try {
      await revealFor(ctx, taskId, r.node, r.outputHash, r.salt);
      out.push({ node: r.node, outcome: "revealed" });
    } catch (e) {
      if (e instanceof ContractRevertError && e.errorName === "TaskManagerAlreadyRevealed")
        out.push({ node: r.node, outcome: "already" });
      else throw e;
    }
  }
  return out;
}
