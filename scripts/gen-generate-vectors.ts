/**
 * Writes test/vectors/generate.json: the §7 token choice (greedy, seeded top-k) and whole
 * generations over fixed logits rows, shared by the engine's and the SDK's tests. The rows are
 * chosen so that the arithmetic can be checked by hand (each case says how in `why`); the draws
 * are keccak values, and the seeds of the two "next to a running-sum boundary" cases were found
 * by searching seeds 0x00…01, 0x00…02, … for a draw within 1e-4 of 0.5 on each side.
 * Run: npx tsx scripts/gen-generate-vectors.ts (deterministic).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, type Hex } from "viem";
import { keccakReady, keccak256Hex } from "../workers/src/inference/keccak.ts";
import {
  drawPreimage,
  drawX,
  greedyChoice,
  topkChoice,
  topkProbabilities,
  largest,
} from "../workers/src/inference/sampling.ts";
import { generateWith } from "../workers/src/inference/generation.ts";
import { parseModelSpec } from "../workers/src/inference/spec.ts";
import { vectorSpec } from "../test/support/generate-vectors.ts";

await keccakReady;
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "vectors", "generate.json");
const num = (x: number) => (Number.isFinite(x) ? x : String(x));
const seedOf = (i: number): Hex => `0x${i.toString(16).padStart(64, "0")}`;

function draw(seed: Hex, step: number) {
  const pre = drawPreimage(seed, step);
  return { seed, step, preimage: bytesToHex(pre), keccak: keccak256Hex(pre), x: drawX(seed, step) };
}

/** The first seed 0x…i (i = 1, 2, …) whose step-0 draw lies in (lo, hi). */
function seedWithDraw(lo: number, hi: number): Hex {
  for (let i = 1; ; i++) {
    const x = drawX(seedOf(i), 0);
    if (x > lo && x < hi) return seedOf(i);
  }
}

type Case = {
  name: string;
  why: string;
  row: number[];
  sampling: { method: string; k?: number; temperature?: string };
  x?: number;
  seed?: Hex;
  step?: number;
};

function stepCase(c: Case) {
  const s = c.sampling;
  if (s.method === "greedy") {
    const r = greedyChoice(c.row);
    return { ...c, token: r.token, margin: num(r.margin) };
  }
  const t = Number(s.temperature);
  const x = c.x ?? drawX(c.seed!, c.step!);
  const ids = largest(c.row, s.k!).sort((a, b) => a - b);
  const p = topkProbabilities(c.row, ids, t);
  let acc = 0;
  const sums = p.map((q) => (acc += q));
  const r = topkChoice(c.row, s.k!, t, x);
  return { ...c, x, set: ids, probabilities: p, runningSums: sums, token: r.token, margin: num(r.margin) };
}

const below = seedWithDraw(0.5 - 1e-4, 0.5);
const above = seedWithDraw(0.5, 0.5 + 1e-4);
const T1 = { method: "topk", k: 2, temperature: "1" };

const steps: Case[] = [
  {
    name: "greedy",
    why: "argmax is id 1 (2); second is 1.25; margin 2 − 1.25 = 0.75",
    row: [0.5, 2, 1.25, -1],
    sampling: { method: "greedy" },
  },
  {
    name: "greedy tie",
    why: "ids 1 and 3 both hold the maximum 3: the lower id (1); margin 3 − 3 = 0",
    row: [1, 3, 2.5, 3],
    sampling: { method: "greedy" },
  },
  {
    name: "greedy V = 1",
    why: "one logit: token 0, nothing can flip (margin Infinity)",
    row: [4],
    sampling: { method: "greedy" },
  },
  {
    name: "greedy negative",
    why: "argmax id 1 (−0.5); second −0.75; margin 0.25",
    row: [-2, -0.5, -0.75],
    sampling: { method: "greedy" },
  },
  {
    name: "topk tie across the K boundary",
    why: "ids 0, 2, 3 tie at 2: S = {0, 2} (lower ids first); K-th (id 2) − (K+1)-th (id 3) = 0; p = 1/2, 1/2; c = 0.5, 1; x = 0.3 < 0.5 → id 0; margin min(0, 4·1·|0.5 − 0.3|) = 0",
    row: [2, 1, 2, 2],
    sampling: T1,
    x: 0.3,
  },
  {
    name: "topk K-th/(K+1)-th boundary",
    why: "S = {1, 2} (3 and 2); K-th − (K+1)-th = 2 − 1 = 1; p1 = 1/(1 + e^−1) = 0.7310585786300049, p2 = e^−1/(1 + e^−1); c = p1, 1; x = 0.75 > c1 → id 2; margin min(1, 4·|c1 − 0.75| = 0.07576568547998...)",
    row: [1, 3, 2, 0.5],
    sampling: T1,
    x: 0.75,
  },
  {
    name: "topk equal probabilities, x on a running sum",
    why: "S = {0, 1, 2, 3}, p = 1/4 each (exact), c = 0.25, 0.5, 0.75, 1; x = 0.5 is not > c2 = 0.5, so the first c_j > x is c3 → id 2; margin min(1 − 0 = 1, 4·0.5·|0.5 − 0.5| = 0) = 0",
    row: [1, 1, 1, 1, 0, 0],
    sampling: { method: "topk", k: 4, temperature: "0.5" },
    x: 0.5,
  },
  {
    name: "topk K = V",
    why: "S = all three, no (K+1)-th (that term Infinity); (ℓ − 3)/0.5 = 0, −2, −4, so p ∝ 1, e^−2, e^−4; c = 0.8668…, 0.9841…, 0.9999999999999999 (rounding); x = 0.99 → id 2; margin 4·0.5·|0.9841… − 0.99| = 0.01175…",
    row: [3, 2, 1],
    sampling: { method: "topk", k: 3, temperature: "0.5" },
    x: 0.99,
  },
  {
    name: "topk rounding leaves no running sum above x",
    why: "the row above with x = 0.9999999999999999 = the last running sum: no c_j > x, so the last of S (id 2); margin 4·0.5·|0.9841… − x|",
    row: [3, 2, 1],
    sampling: { method: "topk", k: 3, temperature: "0.5" },
    x: 0.9999999999999999,
  },
  {
    name: "topk K = 1",
    why: "S = {1}; one running sum (the last), so no draw term: margin ℓ(1st) − ℓ(2nd) = 5 − 4 = 1; token 1 whatever x",
    row: [4, 5, 3],
    sampling: { method: "topk", k: 1, temperature: "0.7" },
    x: 0.999,
  },
  {
    name: "topk draw just below a running sum",
    why: "equal logits in S = {0, 1}: c = 0.5, 1; the draw of this seed at step 0 is within 1e-4 below 0.5 → id 0; margin 4·1·|0.5 − x| < 4e-4",
    row: [1, 1, 0],
    sampling: T1,
    seed: below,
    step: 0,
  },
  {
    name: "topk draw just above a running sum",
    why: "as above with a draw within 1e-4 above 0.5 → id 1",
    row: [1, 1, 0],
    sampling: T1,
    seed: above,
    step: 0,
  },
];

const draws = [
  draw(seedOf(1), 0),
  draw(seedOf(1), 1),
  draw(`0x${"ff".repeat(32)}`, 7),
  draw(below, 0),
  draw(above, 0),
];

// Whole generations over a table of rows (row s for step s), vocab 4, eos [3].
function generation(
  name: string,
  why: string,
  sampling: object,
  margin: number,
  input: object,
  rows: number[][],
) {
  const spec = parseModelSpec(JSON.parse(vectorSpec({ specMargin: margin, sampling } as never)));
  const { result, generation: g } = generateWith(spec, input as never, (_seq, step) => rows[step]);
  return {
    name,
    why,
    sampling,
    specMargin: margin,
    input,
    rows,
    stepMargins: g.margins.map(num),
    result: result.result,
    canonical: result.canonical,
    outputHash: result.outputHash,
    margin: num(result.margin),
    skip: result.skip,
  };
}

const greedyRows = [
  [0, 2, 1, 0],
  [0.5, 0, 0.25, 0],
  [0, 0, 1, 3],
  [9, 9, 9, 9],
];
const generations = [
  generation(
    "greedy to eos",
    "ids 1, 0, 3 (eos, kept); margins 1, 0.25, 2; the fourth row is never used",
    { method: "greedy" },
    1e-6,
    { prompt: [2], maxNewTokens: 8 },
    greedyRows,
  ),
  generation(
    "greedy to length",
    "n = 2: ids 1, 0; stop length",
    { method: "greedy" },
    1e-6,
    { prompt: [2], maxNewTokens: 2 },
    greedyRows,
  ),
  generation(
    "greedy skip",
    "running minimum 0.25 in [0.2, 0.4): the result, and an honest node skips",
    { method: "greedy" },
    0.2,
    { prompt: [2], maxNewTokens: 8 },
    greedyRows,
  ),
  generation(
    "greedy FRAGILE",
    "the second step's margin 0.25 is below 0.3: FRAGILE at step 1",
    { method: "greedy" },
    0.3,
    { prompt: [2], maxNewTokens: 8 },
    greedyRows,
  ),
  generation(
    "NON_FINITE",
    "step 1's row holds NaN (written null here, NaN when read): NON_FINITE",
    { method: "greedy" },
    1e-6,
    { prompt: [2], maxNewTokens: 8 },
    [
      [0, 2, 1, 0],
      [NaN, 0, 0, 0],
    ],
  ),
  generation(
    "topk",
    "k 2, t 0.8, seed 0x…01: the draws of steps 0, 1, 2",
    { method: "topk", k: 2, temperature: "0.8" },
    1e-6,
    { prompt: [0, 1], maxNewTokens: 3, seed: seedOf(1) },
    [
      [1, 1.5, 0, 0],
      [2, 0, 2.25, 0],
      [0, 0, 1, 1.1],
    ],
  ),
];

const doc = {
  description:
    'PROTOCOL.md §7 generative models: token choice and whole generations over fixed logits rows (float32-exact values, taken as float64). Margins in logit units; "Infinity" where nothing can flip. Rows of `generations` are per step; null in a row stands for NaN. Written by scripts/gen-generate-vectors.ts; the draws (float(Fraction(keccak, 2^256))) and the top-k choices and margins were recomputed independently in Python (fractions, math.exp) and agree.',
  draws,
  steps: steps.map(stepCase),
  generations: generations.map((g) => ({
    ...g,
    rows: g.rows.map((r) => r.map((v) => (Number.isNaN(v) ? null : v))),
  })),
};
writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
console.log(
  `wrote ${out}: ${doc.steps.length} steps, ${doc.generations.length} generations (seeds ${below}, ${above})`,
);
