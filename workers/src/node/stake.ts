/**
 * The node's stake: what NodeStaking says about it (for /health and the gauges) and the optional
 * top-up at start (`autoStake`).
 */
import type { Address } from "viem";
import { nodeStakingAbi, omniTokenAbi } from "../chain/abis.ts";
import type { ChainClients } from "../chain/clients.ts";
import type { Deployment } from "../chain/deployment.ts";
import type { Submitter } from "../chain/submitter.ts";
import { Role } from "../protocol/constants.ts";
import type { Common } from "./common.ts";

/** NodeStaking's role bits for the node config's role names ("validator" and "verifier" are one role). */
export function roleBits(roles: readonly string[]): number {
  let bits = 0;
  for (const r of roles) bits |= r === "compute" ? Role.Compute : Role.Validator;
  return bits;
}

/** Names of the role bits, for messages. */
export function roleNames(bits: number): string {
  const names = [bits & Role.Compute ? "compute" : "", bits & Role.Validator ? "validator" : ""];
  return names.filter(Boolean).join(",") || "none";
}

export interface StakeState {
  stake: bigint;
  minStake: bigint;
  active: boolean;
  /** Role bits held. */
  roles: number;
}

/** Reads the node's stake, the minimum, whether it is active and its roles. */
export async function readStake(
  client: ChainClients["publicClient"],
  staking: Address,
  node: Address,
): Promise<StakeState> {
  const read = { address: staking, abi: nodeStakingAbi } as const;
  const [stake, minStake, active, roles] = await Promise.all([
    client.readContract({ ...read, functionName: "stakeOf", args: [node] }),
    client.readContract({ ...read, functionName: "minStake" }),
    client.readContract({ ...read, functionName: "isActive", args: [node, 0] }),
    client.readContract({ ...read, functionName: "rolesOf", args: [node] }),
  ]);
  return { stake, minStake, active, roles };
}

/** Why the node cannot work with this stake (undefined when it can). */
export function stakeProblem(s: StakeState, want: number): string | undefined {
  if (s.stake < s.minStake) return `stake ${s.stake} wei is below minStake ${s.minStake} wei: stake more`;
  if (!s.active)
    return "the node is not active in NodeStaking (unstaking, or slashed below minStake): stake again";
  if ((s.roles & want) !== want)
    return `roles not held: the config runs ${roleNames(want)} but the stake holds ${roleNames(s.roles)}: stake with those roles`;
  return undefined;
}

/** Tops the stake up to `autoStake` (with the configured roles) when it is below. */
export async function autoStake(ctx: {
  common: Common;
  clients: ChainClients;
  deployment: Deployment;
  submitter: Submitter;
  me: Address;
}): Promise<void> {
  const want = ctx.common.config.autoStake;
  if (want === 0n) return;
  const c = ctx.deployment.contracts;
  const roles = roleBits(ctx.common.config.roles);
  const s = await readStake(ctx.clients.publicClient, c.NodeStaking, ctx.me);
  if (s.stake >= want && s.roles === roles) return;
  const amount = s.stake >= want ? 0n : want - s.stake;
  if (amount > 0n)
    await ctx.submitter.send({
      address: c.OmniToken,
      abi: omniTokenAbi,
      functionName: "approve",
      args: [c.NodeStaking, amount],
    });
  await ctx.submitter.send({
    address: c.NodeStaking,
    abi: nodeStakingAbi,
    functionName: "stake",
    args: [amount, roles, "omnitensor-node"],
  });
  ctx.common.logger.info({ stake: want.toString(), roles }, "stake topped up");
}
