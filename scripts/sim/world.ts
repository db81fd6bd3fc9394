/**
 * The simulated network: its nodes (each with a strategy), its requesters (each with a kind and a
 * result key), the keeper that sends the permissionless calls, and their set-up on the chain.
 */
import { getAddress, keccak256, maxUint256, parseEther, slice, toHex, type Address, type Hex } from "viem";
import { generateResultKey, type ResultKeyPair } from "../../workers/src/protocol/index.ts";
import { devAddress } from "../../test/support/devnet.ts";
import type { SimChain } from "./chain.ts";
import type { SimConfig } from "./config.ts";
import {
  nodeStrategy,
  NODE_STRATEGIES,
  type NodeStrategy,
  type NodeStrategyName,
} from "./strategies/index.ts";
import { REQUESTER_KINDS, type RequesterKind } from "./requesters.ts";

export interface SimNode {
  addr: Address;
  name: NodeStrategyName;
  strategy: NodeStrategy;
}
export interface SimRequester {
  addr: Address;
  kind: RequesterKind;
  key: ResultKeyPair;
}
export interface World {
  nodes: SimNode[];
  requesters: SimRequester[];
  owner: Address;
  keeper: Address;
  modelOwner: Address;
  modelId: Hex;
  rng: () => number;
}

/** mulberry32 over a 32-bit hash of the seed: the same seed gives the same run. */
export function rngOf(seed: string): () => number {
  let a = Number(BigInt(keccak256(toHex(seed))) & 0xffffffffn);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const addressOf = (seed: string, what: string): Address =>
  getAddress(slice(keccak256(toHex(`sim:${seed}:${what}`)), 12));

/** How many nodes of each strategy: round(α·N) colluders, the mix of the rest, honest the remainder. */
export function strategyCounts(c: SimConfig): [NodeStrategyName, number][] {
  const colluders = Math.round(c.alpha * c.nodes);
  const rest = c.nodes - colluders;
  const out: [NodeStrategyName, number][] = [["colluder", colluders]];
  let used = colluders;
  for (const name of NODE_STRATEGIES) {
    if (name === "colluder" || name === "honest" || name === "newcomer") continue;
    const n = Math.round((c.mix[name] ?? 0) * rest);
    out.push([name, n]);
    used += n;
  }
  if (used > c.nodes)
    throw new Error(`--mix: the shares add up to more nodes (${used}) than --nodes ${c.nodes}`);
  out.push(["honest", c.nodes - used]);
  out.push(["newcomer", c.newcomers]);
  return out.filter(([, n]) => n > 0);
}

export function makeWorld(c: SimConfig, modelId: Hex): World {
  const nodes: SimNode[] = [];
  for (const [name, n] of strategyCounts(c))
    for (let i = 0; i < n; i++)
      nodes.push({ addr: addressOf(c.seed, `node:${nodes.length}`), name, strategy: nodeStrategy(name, c) });
  const hasSelf = nodes.some((n) => n.name === "selfDisputer");
  const requesters: SimRequester[] = [];
  for (const kind of REQUESTER_KINDS) {
    if (kind === "self" && !hasSelf) continue;
    const count = kind === "sdk" ? 4 : 1;
    for (let i = 0; i < count; i++) {
      const key = generateResultKey(keccak256(toHex(`sim:${c.seed}:key:${kind}:${i}`)));
      requesters.push({ addr: addressOf(c.seed, `requester:${kind}:${i}`), kind, key });
    }
  }
  return {
    nodes,
    requesters,
    owner: devAddress(0),
    keeper: addressOf(c.seed, "keeper"),
    modelOwner: addressOf(c.seed, "modelOwner"),
    modelId,
    rng: rngOf(c.seed),
  };
}

/** Funds `n` and stakes --stake OMNIT for it, both roles. */
export async function stakeNode(chain: SimChain, c: SimConfig, w: World, n: SimNode): Promise<void> {
  await chain.account(n.addr);
  await chain.token(w.owner, "transfer", [n.addr, c.stake]);
  await chain.token(n.addr, "approve", [chain.d.contracts.NodeStaking, c.stake]);
  await chain.staking(n.addr, "stake", [c.stake, 3, `sim:${n.name}`]);
}

/** Funds and stakes every node but the newcomers (both roles), funds the requesters and sets the protocol parameters. */
export async function setUp(chain: SimChain, c: SimConfig, w: World): Promise<void> {
  const { TaskManager } = chain.d.contracts;
  await chain.account(w.owner);
  await chain.account(w.keeper);
  for (const [name, v] of Object.entries(c.params))
    await chain.tm(w.owner, `set${name[0].toUpperCase()}${name.slice(1)}`, [v]);
  for (const n of w.nodes) if (n.name !== "newcomer") await stakeNode(chain, c, w, n);
  const budget = c.reward * 3n * BigInt(c.tasks) + parseEther("1000");
  for (const r of w.requesters) {
    await chain.account(r.addr);
    await chain.token(w.owner, "transfer", [r.addr, budget]); // the canary too: its dispute bonds
    await chain.token(r.addr, "approve", [TaskManager, maxUint256]);
  }
  // The known-answer tasks are paid from the verification pool: the treasury seeds it for them
  // (fees refill it as tasks finalize).
  const canaryTasks = BigInt(Math.ceil(c.tasks * (c.requesters.canary ?? 0) * 1.5) + 1);
  await chain.token(w.owner, "approve", [TaskManager, c.reward * canaryTasks]);
  await chain.tm(w.owner, "fundPool", [c.reward * canaryTasks]);
  await chain.warpTo((await chain.now()) + 60n); // every node active since before the first task
}
