/**
 * `model check` for a generative spec (PROTOCOL.md §7): the graph's inputs are exactly the names
 * the `generate` section gives (tokens, positions and mask int64 of rank 2; every cache input's
 * dims fixed by the model file except the batch dim 0 and its seqDim), every cache output exists
 * with its input's type and rank, and `logits` is float32 of rank 3 whose last dim is `vocab`.
 */
import type { GenerateSpec } from "../spec.ts";
import type { ModelIo } from "./session.ts";

type Io = ModelIo["inputs"][number];

const CACHE_TYPES = ["float32", "float16", "float64", "int64", "int32"];

function checkIdsInput(field: string, m: Io | undefined, problems: string[]): void {
  if (!m) return;
  if (m.type !== "int64")
    problems.push(`generate.${field}: "${m.name}" must be int64, the model takes ${m.type}`);
  if (m.dims.length !== 2) problems.push(`generate.${field}: "${m.name}" must have rank 2 [1,T]`);
  else if (m.dims[0] !== 1 && typeof m.dims[0] === "number")
    problems.push(`generate.${field}: "${m.name}" has batch dim ${m.dims[0]}, must take 1`);
  else if (typeof m.dims[1] === "number")
    problems.push(`generate.${field}: "${m.name}" fixes its sequence dim to ${m.dims[1]}, must be symbolic`);
}

function checkCache(
  g: GenerateSpec,
  inputs: Map<string, Io>,
  outputs: Map<string, Io>,
  problems: string[],
): void {
  (g.cache ?? []).forEach((c, i) => {
    const path = `generate.cache[${i}]`;
    const m = inputs.get(c.input);
    const o = outputs.get(c.output);
    if (!o) problems.push(`${path}.output: the model has no output "${c.output}"`);
    if (!m) return;
    if (!CACHE_TYPES.includes(m.type))
      problems.push(`${path}.input: "${c.input}" is ${m.type}, not a tensor type`);
    if (c.seqDim < 1 || c.seqDim >= m.dims.length)
      problems.push(`${path}.seqDim: ${c.seqDim} is not a dim of "${c.input}" other than the batch dim 0`);
    if (m.dims.length > 0 && m.dims[0] !== 1 && typeof m.dims[0] === "number")
      problems.push(`${path}.input: "${c.input}" has batch dim ${m.dims[0]}, must take 1`);
    m.dims.forEach((d, k) => {
      if (k !== 0 && k !== c.seqDim && typeof d !== "number")
        problems.push(`${path}.input: dim ${k} of "${c.input}" must be fixed by the model file`);
    });
    if (o && (o.type !== m.type || o.dims.length !== m.dims.length))
      problems.push(`${path}.output: "${c.output}" must have the type and rank of "${c.input}"`);
  });
}

/** The problems of a generative spec against the model's inputs and outputs (empty when it fits). */
export function checkGenerateAgainstModel(g: GenerateSpec, io: ModelIo): string[] {
  const problems: string[] = [];
  const inputs = new Map(io.inputs.map((v) => [v.name, v]));
  const outputs = new Map(io.outputs.map((v) => [v.name, v]));
  const named = [g.tokens, g.positions, g.mask, ...(g.cache ?? []).map((c) => c.input)].filter(
    (n): n is string => n !== undefined,
  );
  for (const n of named)
    if (!inputs.has(n))
      problems.push(`generate: the model has no input "${n}" (it has ${[...inputs.keys()].join(", ")})`);
  for (const n of inputs.keys())
    if (!named.includes(n))
      problems.push(`generate: the model's input "${n}" is not named in the generate section`);
  checkIdsInput("tokens", inputs.get(g.tokens), problems);
  if (g.positions) checkIdsInput("positions", inputs.get(g.positions), problems);
  if (g.mask) checkIdsInput("mask", inputs.get(g.mask), problems);
  checkCache(g, inputs, outputs, problems);
  const l = outputs.get(g.logits);
  if (!l) problems.push(`generate.logits: the model has no output "${g.logits}"`);
  else if (l.type !== "float32" || l.dims.length !== 3 || l.dims[2] !== g.vocab)
    problems.push(
      `generate.logits: "${g.logits}" must be float32 [1,T,${g.vocab}], the model gives ${l.type} [${l.dims.join(",")}]`,
    );
  return problems;
}
