/**
 * Seats weighted by reputation (issue 13, "reputation in use"). Today's sortition (PROTOCOL.md §4)
 * gives every active compute node the same chance; the weightings here give a node a seat chance
 * w ∈ [0, 1] from its counters `reputationOf(node)` (§4.13), read from the chain at the start of each
 * round:
 *
 * - none: w = 1 (today's rule);
 * - liquidations: w = 2^−(wrong + silent): each liquidation halves the node's seat chances;
 * - ramp: liquidations, times min(1, (agreed + 1) / RAMP): a new node starts at 1 / RAMP and earns its
 *   full chance with RAMP − 1 agreed results.
 *
 * How it is applied (thinning): a node whose weight is w keeps a task's seat draw when
 * u(seatSeed, node) < w, u uniform in [0, 1) from keccak256(seatSeed, node, "reputation"), and the k
 * best ranks among the nodes that keep their draw take the seats. On the real chain this is a seat
 * policy: the thinned nodes do not commit (the contract's rank rule, whose threshold doubles at each
 * seat step, then lets the next ranks in). A contract that weighted sortition the same way would refuse
 * a thinned node's seat commit; the simulation gets the same seats by not sending it.
 */
import { encodeAbiParameters, hexToBigInt, keccak256, type Address, type Hex } from "viem";
import type { SimChain } from "./chain.ts";

export const SEAT_WEIGHTS = ["none", "liquidations", "ramp"] as const;
export type SeatWeight = (typeof SEAT_WEIGHTS)[number];

/** Agreed results a new node needs for its full seat chance under "ramp" (plus one). */
export const RAMP = 10;

export interface Reputation {
  commitments: number;
  revealed: number;
  agreed: number;
  wrong: number;
  silent: number;
  earned: bigint;
}

export function weightOf(policy: SeatWeight, r: Reputation): number {
  if (policy === "none") return 1;
  const penalty = Math.pow(2, -(r.wrong + r.silent));
  return policy === "liquidations" ? penalty : penalty * Math.min(1, (r.agreed + 1) / RAMP);
}

/** Whether a node of weight `w` keeps its seat draw in the task of `seatSeed`. */
export function keepsDraw(seatSeed: Hex, node: Address, w: number): boolean {
  if (w >= 1) return true;
  const h = keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "address" }, { type: "string" }],
      [seatSeed, node, "reputation"],
    ),
  );
  return Number(hexToBigInt(h) >> 203n) / 2 ** 53 < w;
}

/** Each node's weight from its on-chain counters now (every weight 1 for "none", without reading). */
export async function weightsOf(
  chain: SimChain,
  policy: SeatWeight,
  nodes: readonly Address[],
): Promise<Map<Address, number>> {
  const out = new Map<Address, number>();
  for (const n of nodes) {
    if (policy === "none") {
      out.set(n, 1);
      continue;
    }
    const r = await chain.readTm<Record<string, number | bigint>>("reputationOf", [n]);
    const rep: Reputation = {
      commitments: Number(r.commitments),
      revealed: Number(r.revealed),
      agreed: Number(r.agreed),
      wrong: Number(r.wrong),
      silent: Number(r.silent),
      earned: BigInt(r.earned),
    };
    out.set(n, weightOf(policy, rep));
  }
  return out;
}
