import { type Address, type TransactionReceipt } from "viem";
import { nodeStakingAbi, omniTokenAbi, taskManagerAbi } from "../chain/abis.ts";
import { Role } from "../protocol/constants.ts";
import { ProtocolEncodingError } from "../protocol/errors.ts";
import { formatOmnit, parseOmnit } from "./amounts.ts";
import { requireWallet, sendTx, type OmniTensorContext } from "./context.ts";
import { InsufficientFundsError } from "./errors.ts";

/** Role bits of NodeStaking (protocol/constants.ts `Role`). */
export const ROLE_COMPUTE = Role.Compute;
export const ROLE_VALIDATOR = Role.Validator;

/**
 * Parses "compute", "validator", "compute,validator" (or 1, 2, 3) into role bits. The protocol's
 * second role is VALIDATOR (re-runs sampled tasks, sits on juries); `verifier`, the node
 * config's older word for it, is accepted as an alias.
 */
export function parseRoles(value: string | number): number {
  if (typeof value === "number" || /^\d+$/.test(value)) {
    const n = Number(value);
    if (n < 1 || n > 3)
      throw new ProtocolEncodingError("roles", "must be 1 (compute), 2 (validator) or 3 (both)");
    return n;
  }
  let bits = 0;
  for (const part of value.split(",").map((s) => s.trim().toLowerCase())) {
    if (part === "compute") bits |= ROLE_COMPUTE;
    else if (part === "validator" || part === "verifier") bits |= ROLE_VALIDATOR;
    else
      throw new ProtocolEncodingError(
        "roles",
        `unknown role "${part}": use compute, validator (alias verifier) or compute,validator`,
      );
  }
  return bits;
}

/** "compute,validator" for role bits. */
export function formatRoles(bits: number): string {
  const names = [bits & ROLE_COMPUTE ? "compute" : "", bits & ROLE_VALIDATOR ? "validator" : ""].filter(
    Boolean,
  );
  return names.length ? names.join(",") : "none";
}

/** Checks the sender's OMNIT balance, approves `spender` if needed. */
export async function ensureOmnit(
  ctx: OmniTensorContext,
  spender: Address,
  amount: bigint,
  what: string,
): Promise<void> {
  const { account } = requireWallet(ctx, what);
  const token = ctx.deployment.contracts.OmniToken;
  const balance = await ctx.publicClient.readContract({
    address: token,
    abi: omniTokenAbi,
    functionName: "balanceOf",
    args: [account],
  });
  if (balance < amount)
    throw new InsufficientFundsError(
      account,
      "OMNIT",
      balance,
      amount,
      what,
      formatOmnit(balance),
      formatOmnit(amount),
    );
  const allowance = await ctx.publicClient.readContract({
    address: token,
    abi: omniTokenAbi,
    functionName: "allowance",
    args: [account, spender],
  });
  if (allowance < amount)
    await sendTx(ctx, {
      address: token,
      abi: omniTokenAbi,
      functionName: "approve",
      args: [spender, amount],
    });
}

/**
 * Stakes `amount` OMNIT (decimal string, or bigint wei) with `roles`, registering the node or
 * topping it up; approves NodeStaking first when needed. An amount of 0 changes only the roles
 * of a node that already has stake. The metadata URI stays unless a new one is given.
 */
export async function stake(
  ctx: OmniTensorContext,
  params: { amount: string | bigint; roles: string | number; metadataURI?: string },
): Promise<TransactionReceipt> {
  const amount = parseOmnit("amount", params.amount);
  const roles = parseRoles(params.roles);
  const staking = ctx.deployment.contracts.NodeStaking;
  const { account } = requireWallet(ctx, "stake");
  // stake() sets the metadata URI every time: keep the current one unless a new one is given.
  const metadataURI =
    params.metadataURI ??
    (await ctx.publicClient.readContract({
      address: staking,
      abi: nodeStakingAbi,
      functionName: "metadataOf",
      args: [account],
    }));
  if (amount > 0n) await ensureOmnit(ctx, staking, amount, "stake");
  return sendTx(ctx, {
    address: staking,
    abi: nodeStakingAbi,
    functionName: "stake",
    args: [amount, roles, metadataURI],
  });
}

/** Moves `amount` of unlocked stake to unbonding (withdrawable after the unbonding period). */
export async function requestUnstake(
  ctx: OmniTensorContext,
  amount: string | bigint,
): Promise<TransactionReceipt> {
  return sendTx(ctx, {
    address: ctx.deployment.contracts.NodeStaking,
    abi: nodeStakingAbi,
    functionName: "requestUnstake",
    args: [parseOmnit("amount", amount)],
  });
}

/** Pays out the unbonded amount once the unbonding period is over. */
export async function withdrawUnbonded(ctx: OmniTensorContext): Promise<TransactionReceipt> {
  return sendTx(ctx, {
    address: ctx.deployment.contracts.NodeStaking,
    abi: nodeStakingAbi,
    functionName: "withdrawUnbonded",
    args: [],
  });
}

/** A node's standing in NodeStaking, plus its OMNIT wallet balance and TaskManager credit. */
export interface NodeStatus {
  node: Address;
  stake: bigint;
  locked: bigint;
  unlocked: bigint;
  unbonding: bigint;
  unbondingReleaseTime: bigint;
  roles: number;
  active: boolean;
  activeSince: bigint;
  minStake: bigint;
  metadataURI: string;
  walletBalance: bigint;
  credit: bigint;
}

/** Reads a node's stake, bonds, roles, unbonding, wallet balance and credit. */
export async function nodeStatus(ctx: OmniTensorContext, node: Address): Promise<NodeStatus> {
  const s = { address: ctx.deployment.contracts.NodeStaking, abi: nodeStakingAbi } as const;
  const pc = ctx.publicClient;
  const [
    stakeAmt,
    locked,
    roles,
    active,
    since,
    [unbonding, release],
    minStake,
    metadataURI,
    walletBalance,
    credit,
  ] = await Promise.all([
    pc.readContract({ ...s, functionName: "stakeOf", args: [node] }),
    pc.readContract({ ...s, functionName: "lockedOf", args: [node] }),
    pc.readContract({ ...s, functionName: "rolesOf", args: [node] }),
    pc.readContract({ ...s, functionName: "isActive", args: [node, 0] }),
    pc.readContract({ ...s, functionName: "activeSince", args: [node] }),
    pc.readContract({ ...s, functionName: "unbondingOf", args: [node] }),
    pc.readContract({ ...s, functionName: "minStake" }),
    pc.readContract({ ...s, functionName: "metadataOf", args: [node] }),
    pc.readContract({
      address: ctx.deployment.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "balanceOf",
      args: [node],
    }),
    pc.readContract({
      address: ctx.deployment.contracts.TaskManager,
      abi: taskManagerAbi,
      functionName: "creditOf",
      args: [node],
    }),
  ]);
  return {
    node,
    stake: stakeAmt,
    locked,
    unlocked: stakeAmt > locked ? stakeAmt - locked : 0n,
    unbonding,
    unbondingReleaseTime: BigInt(release),
    roles: Number(roles),
    active,
    activeSince: BigInt(since),
    minStake,
    metadataURI,
    walletBalance,
    credit,
  };
}
