/** test/vectors/generate.json, typed, and the spec its generations run under (engine and SDK tests). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { REPO_ROOT } from "./models.ts";

export interface GenerateVectors {
  draws: { seed: Hex; step: number; preimage: Hex; keccak: Hex; x: number }[];
  steps: {
    name: string;
    row: number[];
    sampling: { method: string; k?: number; temperature?: string };
    x?: number;
    seed?: string;
    step?: number;
    token: number;
    margin: number | string;
  }[];
  generations: {
    name: string;
    sampling: object;
    specMargin: number;
    input: { prompt: number[]; maxNewTokens: number; seed?: string };
    rows: (number | null)[][];
    stepMargins: (number | string)[];
    result: string;
    canonical: string;
    outputHash: Hex;
    margin: number | string;
    skip: boolean;
  }[];
}

export function generateVectors(): GenerateVectors {
  return JSON.parse(
    readFileSync(join(REPO_ROOT, "test", "vectors", "generate.json"), "utf8"),
  ) as GenerateVectors;
}

/** A margin as written in the vectors ("Infinity" where nothing can flip). */
export function vectorMargin(m: number | string): number {
  return typeof m === "string" ? Number(m) : m;
}

/** The spec a vector generation runs under: vocab 4, eos [3], prompts ≤ 8, n ≤ 8. */
export function vectorSpec(g: GenerateVectors["generations"][number]): string {
  return JSON.stringify({
    inputs: [],
    outputs: [],
    execution: {
      runtime: "onnxruntime",
      version: "1.x",
      graphOptimizationLevel: "disabled",
      providers: ["cpu"],
      margin: g.specMargin,
    },
    maxInputBytes: 1024,
    generate: {
      tokens: "ids",
      logits: "logits",
      vocab: 4,
      eos: [3],
      maxPromptTokens: 8,
      maxNewTokens: 8,
      sampling: g.sampling,
      tokenizer: { uri: "t.json", sha256: `0x${"00".repeat(32)}` },
    },
  });
}
