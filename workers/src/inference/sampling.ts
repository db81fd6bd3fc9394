/**
 * The token choice of PROTOCOL.md §7 ("Generative models"), pure and in float64: greedy and
 * seeded top-k, each with its step margin in logit units, and the keccak draw. Shared by the
 * engine, the SDK and the tests (test/vectors/generate.json).
 *
 * - greedy: the argmax (lowest index among equal maxima); margin ℓ(top) − ℓ(second), where the
 *   second is the largest value at another index (equal maxima give 0; infinite when V = 1).
 * - topk: S = the K largest logits (ties: lower index first); t = the float64 nearest the
 *   temperature string; p_j = exp((ℓ_j − ℓ_max)/t) / Σ_{i∈S} exp((ℓ_i − ℓ_max)/t), the sum in
 *   ascending token id; x = the float64 nearest uint256(keccak256(abi.encode(seed, step))) / 2^256;
 *   running sums c_j in ascending token id, the token the first j with c_j > x (the last of S
 *   if none). Margin: min(ℓ(K-th) − ℓ((K+1)-th) (infinite when K = V), 4t·|c_j − x| over every
 *   running sum but the last (infinite when K = 1)).
 */
import type { Hex } from "viem";
import { keccak256Hex } from "./keccak.ts";

export interface StepChoice {
  token: number;
  /** How far the choice is from flipping, in logit units (Infinity when nothing can flip). */
  margin: number;
}

const TWO_256 = 2 ** 256;

let lastSeed = "";
let lastSeedBytes = new Uint8Array(32);

/** The 32 bytes of a 0x-hex seed (the last one kept: a generation draws with one seed). */
function seedBytes(seed: Hex): Uint8Array {
  if (seed === lastSeed) return lastSeedBytes;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(seed.slice(2 + 2 * i, 4 + 2 * i), 16);
  lastSeed = seed;
  lastSeedBytes = out;
  return out;
}

/** The 64 bytes of abi.encode(bytes32 seed, uint256 step); `step` a safe integer ≥ 0. */
export function drawPreimage(seed: Hex, step: number): Uint8Array {
  const out = new Uint8Array(64);
  out.set(seedBytes(seed));
  let s = step;
  for (let i = 63; i >= 32 && s > 0; i--) {
    out[i] = s % 256;
    s = Math.floor(s / 256);
  }
  return out;
}

/**
 * The draw x of step `step`: the float64 nearest to uint256(keccak256(abi.encode(seed, step))) / 2^256.
 * `Number(bigint)` rounds to nearest (ties to even), and dividing by 2^256 is exact.
 */
export function drawX(seed: Hex, step: number): number {
  return Number(BigInt(keccak256Hex(drawPreimage(seed, step)))) / TWO_256;
}

/** The index of the first NaN or ±Infinity in a row, or -1. */
export function firstNonFiniteIndex(row: ArrayLike<number>): number {
  for (let j = 0; j < row.length; j++) if (row[j] - row[j] !== 0) return j;
  return -1;
}

/** Greedy: the argmax (lowest index among equal maxima) and ℓ(top) − ℓ(second). Row finite. */
export function greedyChoice(row: ArrayLike<number>): StepChoice {
  let top = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[top]) top = j;
  let second = -Infinity;
  for (let j = 0; j < row.length; j++) if (j !== top && row[j] > second) second = row[j];
  return { token: top, margin: row.length === 1 ? Infinity : row[top] - second };
}

/**
 * The indices of the `count` largest values, by value descending, ties lower index first.
 * Insertion into a short sorted list: O(V · count), no sort of the whole row.
 */
export function largest(row: ArrayLike<number>, count: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (best.length === count && !(v > row[best[count - 1]])) continue;
    // A later index with an equal value ranks after: insert after every value ≥ v.
    let at = best.length;
    while (at > 0 && row[best[at - 1]] < v) at--;
    best.splice(at, 0, j);
    if (best.length > count) best.pop();
  }
  return best;
}

/** The top-k probabilities over S (ascending token id), in float64 as §7 writes them. */
export function topkProbabilities(row: ArrayLike<number>, ids: readonly number[], t: number): number[] {
  let max = -Infinity;
  for (const j of ids) if (row[j] > max) max = row[j];
  const e = ids.map((j) => Math.exp((row[j] - max) / t));
  let sum = 0;
  for (const x of e) sum += x;
  return e.map((x) => x / sum);
}

/**
 * The `count` largest of `row` into `best` (indices, value descending, ties lower index first),
 * as {@link largest} ranks them; returns how many (min(count, V)). `best` holds count + 1.
 */
function largestInto(row: ArrayLike<number>, count: number, best: Int32Array): number {
  let n = 0;
  let worst = -Infinity;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    if (n === count && !(v > worst)) continue;
    // A later index with an equal value ranks after: insert after every value ≥ v.
    let at = n;
    while (at > 0 && row[best[at - 1]] < v) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = j;
    if (n < count) n++;
    worst = row[best[n - 1]];
  }
  return n;
}

let ranked = new Int32Array(16);
let ids = new Int32Array(16);
let weights = new Float64Array(16);

/** Seeded top-k (§7): the token and the step margin. Row finite, 1 ≤ k ≤ row length. */
export function topkChoice(row: ArrayLike<number>, k: number, t: number, x: number): StepChoice {
  const V = row.length;
  if (ranked.length < k + 2)
    [ranked, ids, weights] = [new Int32Array(k + 2), new Int32Array(k), new Float64Array(k)];
  largestInto(row, Math.min(k + 1, V), ranked);
  const boundary = k === V ? Infinity : row[ranked[k - 1]] - row[ranked[k]];
  const max = row[ranked[0]];
  // S in ascending token id (insertion sort: K is small and the ids are distinct).
  for (let i = 0; i < k; i++) {
    const id = ranked[i];
    let at = i;
    while (at > 0 && ids[at - 1] > id) {
      ids[at] = ids[at - 1];
      at--;
    }
    ids[at] = id;
  }
  // p_j = e_j / Σ_{i∈S} e_i, the sum in ascending token id (as topkProbabilities computes it).
  let sum = 0;
  for (let i = 0; i < k; i++) {
    weights[i] = Math.exp((row[ids[i]] - max) / t);
    sum += weights[i];
  }
  let c = 0;
  let token = -1;
  let margin = boundary;
  for (let i = 0; i < k; i++) {
    c += weights[i] / sum;
    if (token < 0 && c > x) token = ids[i];
    if (i < k - 1) margin = Math.min(margin, 4 * t * Math.abs(c - x));
  }
  return { token: token < 0 ? ids[k - 1] : token, margin };
}
