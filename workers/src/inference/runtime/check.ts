/**
 * `model check`: does a spec fit the model's real inputs and outputs? Pure over the model's
 * metadata ({@link ModelIo}, read from an onnxruntime session), so it is tested on both real
 * models and hand-written metadata. Returns every problem found, each naming the field.
 */
import type { ModelIo } from "./session.ts";
import { checkGenerateAgainstModel } from "./check-generate.ts";
import { FLOAT_TYPES, INTEGER_TYPES, validateModelSpec, type Dim, type ModelSpec } from "../spec.ts";

function isSymbolic(d: number | string): boolean {
  return typeof d === "string";
}

function compareDims(path: string, spec: Dim[], model: (number | string)[], problems: string[]): void {
  if (spec.length !== model.length) {
    problems.push(
      `${path}: spec has ${spec.length} dims [${spec.join(",")}], the model has ${model.length} [${model.join(",")}]`,
    );
    return;
  }
  spec.forEach((d, i) => {
    const m = model[i];
    if (typeof d === "number" && typeof m === "number" && d !== m)
      problems.push(`${path}[${i}]: spec says ${d}, the model fixes ${m}`);
    if (typeof d === "string" && typeof m === "number")
      problems.push(`${path}[${i}]: spec says symbolic "${d}", the model fixes ${m} (use ${m})`);
  });
}

/** Batching needs a dynamic first dim on every input and output of the model. */
function checkBatchDims(
  spec: ModelSpec,
  modelIn: Map<string, ModelIo["inputs"][number]>,
  modelOut: Map<string, ModelIo["outputs"][number]>,
  problems: string[],
): void {
  spec.inputs.forEach((inp, i) => {
    const m = modelIn.get(inp.name);
    if (m && m.dims.length > 0 && !isSymbolic(m.dims[0]))
      problems.push(
        `inputs[${i}]: batching (execution.maxBatch > 1) needs a dynamic first dim, the model fixes ${m.dims[0]}`,
      );
    if (m && m.dims.length === 0)
      problems.push(`inputs[${i}]: batching needs a first dim, "${inp.name}" is a scalar`);
  });
  spec.outputs.forEach((out, i) => {
    const m = modelOut.get(out.name);
    if (m && (m.dims.length === 0 || !isSymbolic(m.dims[0])))
      problems.push(
        `outputs[${i}]: batching (execution.maxBatch > 1) needs a dynamic first dim on "${out.name}"`,
      );
  });
}

/** Checks a parsed spec against model metadata; returns the problems (empty when the spec fits). */
export function checkSpecAgainstModel(spec: ModelSpec, io: ModelIo): string[] {
  if (spec.generate) return checkGenerateAgainstModel(spec.generate, io);
  const problems: string[] = [];
  const modelIn = new Map(io.inputs.map((v) => [v.name, v]));
  const modelOut = new Map(io.outputs.map((v) => [v.name, v]));
  spec.inputs.forEach((inp, i) => {
    const m = modelIn.get(inp.name);
    if (!m) {
      problems.push(
        `inputs[${i}].name: the model has no input "${inp.name}" (it has ${[...modelIn.keys()].join(", ")})`,
      );
      return;
    }
    if (m.type !== inp.type)
      problems.push(`inputs[${i}].type: spec says ${inp.type}, the model takes ${m.type}`);
    compareDims(`inputs[${i}].dims`, inp.dims, m.dims, problems);
  });
  for (const name of modelIn.keys())
    if (!spec.inputs.some((s) => s.name === name))
      problems.push(`inputs: the model's input "${name}" is missing from the spec`);

  spec.outputs.forEach((out, i) => {
    const m = modelOut.get(out.name);
    if (!m) {
      problems.push(
        `outputs[${i}].name: the model has no output "${out.name}" (it has ${[...modelOut.keys()].join(", ")})`,
      );
      return;
    }
    const rule = out.rule;
    if (rule.op === "int" && !INTEGER_TYPES.has(m.type))
      problems.push(`outputs[${i}].rule: int needs an integer or bool output, "${out.name}" is ${m.type}`);
    if (rule.op !== "int" && !FLOAT_TYPES.has(m.type) && !INTEGER_TYPES.has(m.type))
      problems.push(`outputs[${i}].rule: ${rule.op} needs a numeric output, "${out.name}" is ${m.type}`);
    if ((rule.op === "argmax" || rule.op === "topk") && m.dims.length === 0)
      problems.push(`outputs[${i}].rule: ${rule.op} needs an axis, "${out.name}" is a scalar`);
    if (rule.op === "topk" && m.dims.length > 0) {
      const last = m.dims[m.dims.length - 1];
      if (typeof last === "number" && rule.k > last)
        problems.push(`outputs[${i}].rule.k: ${rule.k} exceeds the last axis of "${out.name}" (${last})`);
    }
    if (out.dims) compareDims(`outputs[${i}].dims`, out.dims, m.dims, problems);
  });

  if (spec.execution.maxBatch > 1) checkBatchDims(spec, modelIn, modelOut, problems);
  return problems;
}

/** Validates spec JSON (already parsed) and checks it against the model: all problems, in order. */
export function checkSpecJson(
  raw: unknown,
  io: ModelIo,
  text?: string,
): { spec?: ModelSpec; problems: string[] } {
  const { spec, problems } = validateModelSpec(raw, text);
  if (!spec) return { problems };
  return { spec, problems: checkSpecAgainstModel(spec, io) };
}
