/**
 * The model spec of PROTOCOL.md §7: the JSON string stored in ModelRegistry. Pure parsing and
 * validation; every problem is reported with the path of the field at fault.
 *
 * ```json
 * {"inputs":[{"name":"x","type":"float32","dims":["N",4],"range":[-10,10]}],
 *  "outputs":[{"name":"probs","rule":{"op":"argmax"}}],
 *  "execution":{"runtime":"onnxruntime","version":"1.x","graphOptimizationLevel":"disabled",
 *               "providers":["cpu"],"margin":1e-6,"maxBatch":8},
 *  "maxInputBytes":65536}
 * ```
 *
 * Additions to §7 (all optional): `outputs[].dims` (checked by `model check` and by batching),
 * `execution.maxBatch` (an integer ≥ 1; above 1 the engine may run concurrent requests as one
 * batch, which needs the first dim of every input, and of every output that lists dims, to be
 * one symbolic name), and a free-text `description`.
 */
import { ModelSpecError } from "./errors.ts";
import { StrictJsonError, isJsonObject, parseStrictJson } from "./json-strict.ts";
import { nonPlainNumberInSection, parseGenerate } from "./generate-spec.ts";
import {
  DECIMAL_INT,
  INT64_MAX,
  INT64_MIN,
  type GraphOptimizationLevel,
  type ProviderName,
  DEFAULT_MARGIN,
  GRAPH_OPTIMIZATION_LEVELS,
  INPUT_ENCODINGS,
  INPUT_INT_BOUNDS,
  INPUT_TYPES,
  MAX_ROUND_DECIMALS,
  PROVIDERS,
  type Dim,
  type ExecutionSpec,
  type InputEncoding,
  type InputSpec,
  type InputType,
  type ModelSpec,
  type OutputRule,
  type OutputSpec,
  type ValueRange,
} from "./spec-types.ts";

export * from "./spec-types.ts";
export type { CacheEntry, GenerateSpec, Sampling } from "./generate-spec.ts";

function allowedKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  problems: string[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.push(`${path ? path + "." : ""}${key}: unknown field`);
  }
}

function parseDims(v: unknown, path: string, problems: string[]): Dim[] | undefined {
  if (!Array.isArray(v)) {
    problems.push(`${path}: must be an array of positive integers and symbolic names`);
    return undefined;
  }
  const dims: Dim[] = [];
  v.forEach((d, i) => {
    if (typeof d === "number" && Number.isSafeInteger(d) && d > 0) dims.push(d);
    else if (typeof d === "string" && d.length > 0 && d.length <= 64) dims.push(d);
    else problems.push(`${path}[${i}]: must be a positive integer or a non-empty name`);
  });
  return dims.length === v.length ? dims : undefined;
}

function parseBound(
  v: unknown,
  type: InputType,
  path: string,
  problems: string[],
): number | bigint | undefined {
  if (type === "int64" && typeof v === "string" && DECIMAL_INT.test(v) && v !== "-0") {
    const b = BigInt(v);
    if (b < INT64_MIN || b > INT64_MAX) {
      problems.push(`${path}: outside int64`);
      return undefined;
    }
    return b;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    problems.push(`${path}: must be a finite number${type === "int64" ? " or a decimal string" : ""}`);
    return undefined;
  }
  if (INPUT_INT_BOUNDS[type] && !Number.isSafeInteger(v)) {
    problems.push(`${path}: must be an integer within ±(2^53 − 1) for type ${type}`);
    return undefined;
  }
  return v;
}

function parseRange(v: unknown, type: InputType, path: string, problems: string[]): ValueRange | undefined {
  if (type === "bool") {
    problems.push(`${path}: a bool input cannot have a range`);
    return undefined;
  }
  let lo: unknown;
  let hi: unknown;
  if (Array.isArray(v) && v.length === 2) [lo, hi] = v;
  else if (isJsonObject(v) && Object.keys(v).length === 2 && "min" in v && "max" in v)
    ({ min: lo, max: hi } = v);
  else {
    problems.push(`${path}: must be [min, max]`);
    return undefined;
  }
  const min = parseBound(lo, type, `${path}[0]`, problems);
  const max = parseBound(hi, type, `${path}[1]`, problems);
  if (min === undefined || max === undefined) return undefined;
  if (typeof min === "bigint" || typeof max === "bigint" ? BigInt(min) > BigInt(max) : min > max) {
    problems.push(`${path}: min is above max`);
    return undefined;
  }
  return { min, max };
}

function parseRule(v: unknown, path: string, problems: string[]): OutputRule | undefined {
  if (!isJsonObject(v)) {
    problems.push(`${path}: must be an object such as {"op":"argmax"}`);
    return undefined;
  }
  switch (v.op) {
    case "argmax":
    case "int":
      allowedKeys(v, ["op"], path, problems);
      return { op: v.op };
    case "topk":
      allowedKeys(v, ["op", "k"], path, problems);
      if (typeof v.k !== "number" || !Number.isSafeInteger(v.k) || v.k < 1) {
        problems.push(`${path}.k: must be a positive integer`);
        return undefined;
      }
      return { op: "topk", k: v.k };
    case "round":
      allowedKeys(v, ["op", "decimals"], path, problems);
      if (
        typeof v.decimals !== "number" ||
        !Number.isInteger(v.decimals) ||
        v.decimals < 0 ||
        v.decimals > MAX_ROUND_DECIMALS
      ) {
        problems.push(`${path}.decimals: must be an integer from 0 to ${MAX_ROUND_DECIMALS}`);
        return undefined;
      }
      return { op: "round", decimals: v.decimals };
    default:
      problems.push(`${path}.op: must be one of argmax, topk, round, int`);
      return undefined;
  }
}

function parseExecution(v: unknown, problems: string[]): ExecutionSpec | undefined {
  if (!isJsonObject(v)) {
    problems.push("execution: must be an object");
    return undefined;
  }
  const before = problems.length;
  allowedKeys(
    v,
    ["runtime", "version", "graphOptimizationLevel", "providers", "margin", "maxBatch"],
    "execution",
    problems,
  );
  if (v.runtime !== "onnxruntime") problems.push('execution.runtime: must be "onnxruntime"');
  if (typeof v.version !== "string" || !/^\d+(\.(\d+|x))?(\.(\d+|x))?$/.test(v.version))
    problems.push('execution.version: must be a version such as "1.x", "1.30" or "1.30.0"');
  if (!GRAPH_OPTIMIZATION_LEVELS.includes(v.graphOptimizationLevel as GraphOptimizationLevel))
    problems.push(`execution.graphOptimizationLevel: must be one of ${GRAPH_OPTIMIZATION_LEVELS.join(", ")}`);
  const providers = v.providers;
  if (
    !Array.isArray(providers) ||
    providers.length === 0 ||
    providers.some((p) => !PROVIDERS.includes(p as ProviderName)) ||
    new Set(providers).size !== providers.length
  )
    problems.push(
      `execution.providers: must be a non-empty list of distinct providers from ${PROVIDERS.join(", ")}`,
    );
  const margin = v.margin === undefined ? DEFAULT_MARGIN : v.margin;
  if (typeof margin !== "number" || !Number.isFinite(margin) || margin < 0)
    problems.push("execution.margin: must be a finite number ≥ 0");
  const maxBatch = v.maxBatch === undefined ? 1 : v.maxBatch;
  if (typeof maxBatch !== "number" || !Number.isSafeInteger(maxBatch) || maxBatch < 1 || maxBatch > 4096)
    problems.push("execution.maxBatch: must be an integer from 1 to 4096");
  if (problems.length > before) return undefined;
  return {
    runtime: "onnxruntime",
    version: v.version as string,
    graphOptimizationLevel: v.graphOptimizationLevel as GraphOptimizationLevel,
    providers: providers as ProviderName[],
    margin: margin as number,
    maxBatch: maxBatch as number,
  };
}

function parseInput(
  inp: unknown,
  path: string,
  seen: InputSpec[],
  problems: string[],
): InputSpec | undefined {
  if (!isJsonObject(inp)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  allowedKeys(inp, ["name", "type", "dims", "range"], path, problems);
  const name = inp.name;
  if (typeof name !== "string" || name.length === 0)
    problems.push(`${path}.name: must be a non-empty string`);
  else if (seen.some((x) => x.name === name)) problems.push(`${path}.name: duplicate input "${name}"`);
  const type = inp.type as InputType;
  if (!INPUT_TYPES.includes(type)) problems.push(`${path}.type: must be one of ${INPUT_TYPES.join(", ")}`);
  const dims = parseDims(inp.dims, `${path}.dims`, problems);
  const range =
    inp.range === undefined || !INPUT_TYPES.includes(type)
      ? undefined
      : parseRange(inp.range, type, `${path}.range`, problems);
  if (typeof name !== "string" || !INPUT_TYPES.includes(type) || !dims) return undefined;
  return range ? { name, type, dims, range } : { name, type, dims };
}

function parseOutput(
  out: unknown,
  path: string,
  seen: OutputSpec[],
  problems: string[],
): OutputSpec | undefined {
  if (!isJsonObject(out)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  allowedKeys(out, ["name", "rule", "dims"], path, problems);
  const name = out.name;
  if (typeof name !== "string" || name.length === 0)
    problems.push(`${path}.name: must be a non-empty string`);
  else if (seen.some((x) => x.name === name)) problems.push(`${path}.name: duplicate output "${name}"`);
  const rule = parseRule(out.rule, `${path}.rule`, problems);
  const dims = out.dims === undefined ? undefined : parseDims(out.dims, `${path}.dims`, problems);
  if (dims && rule && (rule.op === "argmax" || rule.op === "topk") && dims.length === 0)
    problems.push(`${path}.dims: ${rule.op} needs at least one axis`);
  if (typeof name !== "string" || !rule) return undefined;
  return dims ? { name, rule, dims } : { name, rule };
}

/** Parses a non-empty array of `field` entries with `parse`, keeping the valid ones. */
function parseList<T>(
  list: unknown,
  field: string,
  parse: (x: unknown, path: string, seen: T[], problems: string[]) => T | undefined,
  problems: string[],
): T[] {
  const seen: T[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${field}: must be a non-empty array`);
    return seen;
  }
  list.forEach((x: unknown, i: number) => {
    const v = parse(x, `${field}[${i}]`, seen, problems);
    if (v) seen.push(v);
  });
  return seen;
}

function parseEncodings(v: unknown, problems: string[]): InputEncoding[] | undefined {
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((e) => !INPUT_ENCODINGS.includes(e as InputEncoding)) ||
    new Set(v).size !== v.length
  ) {
    problems.push(
      `inputEncodings: must be a non-empty list of distinct encodings from ${INPUT_ENCODINGS.join(", ")}`,
    );
    return undefined;
  }
  return v as InputEncoding[];
}

/** Batching (execution.maxBatch > 1) needs one symbolic first dim shared by every input and shaped output. */
function checkBatching(inputs: InputSpec[], outputs: OutputSpec[], problems: string[]): void {
  const first = inputs[0].dims[0];
  if (typeof first !== "string") {
    problems.push("execution.maxBatch: batching needs inputs[0].dims[0] to be a symbolic name");
    return;
  }
  const need = `batching (execution.maxBatch > 1) needs the same symbolic first dim "${first}"`;
  inputs.forEach((inp, i) => {
    if (inp.dims[0] !== first) problems.push(`inputs[${i}].dims[0]: ${need}`);
    if (inp.dims.slice(1).includes(first))
      problems.push(`inputs[${i}].dims: the batch dim "${first}" may only be the first dim`);
  });
  outputs.forEach((out, i) => {
    if (out.dims && out.dims[0] !== first) problems.push(`outputs[${i}].dims[0]: ${need}`);
  });
}

/**
 * Validates a parsed spec object. Returns the typed spec and every problem found (the spec is
 * undefined when there is at least one problem).
 */
export function validateModelSpec(raw: unknown, text?: string): { spec?: ModelSpec; problems: string[] } {
  const problems: string[] = [];
  if (!isJsonObject(raw)) return { problems: ["spec: must be a JSON object"] };
  allowedKeys(
    raw,
    ["inputs", "outputs", "execution", "maxInputBytes", "inputEncodings", "description", "generate"],
    "",
    problems,
  );
  if (raw.generate !== undefined) return validateGenerative(raw, text, problems);
  const inputs = parseList(raw.inputs, "inputs", parseInput, problems);
  const outputs = parseList(raw.outputs, "outputs", parseOutput, problems);
  const execution = parseExecution(raw.execution, problems);
  const maxInputBytes = raw.maxInputBytes;
  if (typeof maxInputBytes !== "number" || !Number.isSafeInteger(maxInputBytes) || maxInputBytes < 1)
    problems.push("maxInputBytes: must be a positive integer");
  const inputEncodings =
    raw.inputEncodings === undefined ? undefined : parseEncodings(raw.inputEncodings, problems);
  if (raw.description !== undefined && typeof raw.description !== "string")
    problems.push("description: must be a string");
  if (execution && execution.maxBatch > 1 && inputs.length > 0) checkBatching(inputs, outputs, problems);
  if (problems.length > 0) return { problems };
  const spec: ModelSpec = { inputs, outputs, execution: execution!, maxInputBytes: maxInputBytes as number };
  if (inputEncodings) spec.inputEncodings = inputEncodings;
  if (typeof raw.description === "string") spec.description = raw.description;
  return { spec, problems };
}

/**
 * A generative spec (§7): `inputs` and `outputs` are `[]`, no `inputEncodings`, and the
 * `generate` section's numbers are integers written `0|[1-9][0-9]*` (checked on the JSON text
 * when there is one: a spec object built in code has no written form).
 */
function validateGenerative(
  raw: Record<string, unknown>,
  text: string | undefined,
  problems: string[],
): { spec?: ModelSpec; problems: string[] } {
  if (!Array.isArray(raw.inputs) || raw.inputs.length > 0)
    problems.push("inputs: must be [] in a generative spec");
  if (!Array.isArray(raw.outputs) || raw.outputs.length > 0)
    problems.push("outputs: must be [] in a generative spec");
  if (raw.inputEncodings !== undefined) problems.push("inputEncodings: not allowed in a generative spec");
  const execution = parseExecution(raw.execution, problems);
  const maxInputBytes = raw.maxInputBytes;
  if (typeof maxInputBytes !== "number" || !Number.isSafeInteger(maxInputBytes) || maxInputBytes < 1)
    problems.push("maxInputBytes: must be a positive integer");
  if (raw.description !== undefined && typeof raw.description !== "string")
    problems.push("description: must be a string");
  const bad = text === undefined ? null : nonPlainNumberInSection(text, "generate");
  if (bad !== null) problems.push(`generate: ${bad} is not an integer written 0|[1-9][0-9]*`);
  const generate = parseGenerate(raw.generate, problems);
  if (problems.length > 0) return { problems };
  const spec: ModelSpec = {
    inputs: [],
    outputs: [],
    execution: execution!,
    maxInputBytes: maxInputBytes as number,
    generate,
  };
  if (typeof raw.description === "string") spec.description = raw.description;
  return { spec, problems };
}

/** Parses a spec from its JSON text (strict: duplicate keys rejected); throws {@link ModelSpecError}. */
export function parseModelSpec(json: string | ModelSpec | Record<string, unknown>): ModelSpec {
  let raw: unknown = json;
  if (typeof json === "string") {
    try {
      raw = parseStrictJson(json);
    } catch (err) {
      throw new ModelSpecError([`spec: ${(err as StrictJsonError).message}`]);
    }
  }
  const { spec, problems } = validateModelSpec(raw, typeof json === "string" ? json : undefined);
  if (!spec) throw new ModelSpecError(problems);
  return spec;
}

/** The batch dim name when the spec allows batching (maxBatch > 1), else null. */
export function batchDimName(spec: ModelSpec): string | null {
  if (spec.execution.maxBatch <= 1 || spec.inputs.length === 0) return null;
  const first = spec.inputs[0].dims[0];
  return typeof first === "string" ? first : null;
}

/** Serializes a spec back to JSON (ranges as [min, max], bigints as decimal strings). */
export function stringifyModelSpec(spec: ModelSpec): string {
  return JSON.stringify(spec, (key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (key === "range" && isJsonObject(value)) return [value.min, value.max];
    return value;
  });
}
