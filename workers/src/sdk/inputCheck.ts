/**
 * What the SDK checks in a task's input before the escrow moves (issue 17, item 7): values that
 * JSON cannot carry (NaN and ±Infinity silently become null in JSON.stringify), text that is
 * not JSON, and the model's own spec (names, types, dims, ranges, maxInputBytes) with the pure
 * §7 decoder the nodes use. An input that fails here would only make the nodes answer
 * INVALID_INPUT and keep the reward. Imports pure inference modules only (no onnxruntime).
 */
import { decodeInput } from "../inference/codec.ts";
import { decodeGenerateInput } from "../inference/generate-input.ts";
import { parseStrictJson, StrictJsonError } from "../inference/json-strict.ts";
import { validateModelSpec } from "../inference/spec.ts";
import { OmniTensorError } from "../protocol/errors.ts";

/** The task input would be refused by the model's spec, or cannot be JSON at all. `field` names the part at fault. */
export class InvalidTaskInputError extends OmniTensorError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`, "INVALID_TASK_INPUT", {
      details:
        "nodes would answer INVALID_INPUT and keep the reward; fix the input, or pass force: true (--force) to send it anyway",
    });
    this.name = "InvalidTaskInputError";
  }
}

/**
 * Walks an input object and throws on the first value JSON cannot carry: NaN, ±Infinity,
 * undefined, a function, a symbol, a bigint (JSON.stringify would write null, drop it, or throw).
 */
export function assertJsonValue(value: unknown, path = "input"): void {
  switch (typeof value) {
    case "number":
      if (!Number.isFinite(value))
        throw new InvalidTaskInputError(
          path,
          `${value} is not a JSON number (JSON.stringify would send null)`,
        );
      return;
    case "string":
    case "boolean":
      return;
    case "undefined":
    case "function":
    case "symbol":
      throw new InvalidTaskInputError(path, `${typeof value} is not a JSON value`);
    case "bigint":
      throw new InvalidTaskInputError(
        path,
        "a bigint is not a JSON value: give a decimal string (int64) or a number",
      );
  }
  if (value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJsonValue(value[i], `${path}[${i}]`);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) assertJsonValue(v, `${path}.${k}`);
}

/** Throws unless `text` is strict JSON (duplicate keys refused, as the nodes refuse them). */
export function assertJsonText(text: string, field = "input"): void {
  try {
    parseStrictJson(text);
  } catch (e) {
    if (e instanceof StrictJsonError) throw new InvalidTaskInputError(field, `not JSON: ${e.message}`);
    throw e;
  }
}

/**
 * Checks input bytes against a model spec (the JSON stored in ModelRegistry) exactly as a node
 * decodes them. A spec that does not parse is not the requester's problem: no check then.
 */
export function assertInputFitsSpec(bytes: Uint8Array, specText: string): void {
  let raw: unknown;
  try {
    raw = parseStrictJson(specText);
  } catch {
    return;
  }
  const { spec } = validateModelSpec(raw, specText);
  if (!spec) return;
  const r = spec.generate ? decodeGenerateInput(bytes, spec) : decodeInput(bytes, spec);
  if (r.ok) return;
  const m = /^([A-Za-z0-9_.[\]-]+): (.*)$/s.exec(r.reason);
  if (m)
    throw new InvalidTaskInputError(m[1] === "input" ? "input" : `input.${m[1]}`, `${m[2]} (model spec)`);
  throw new InvalidTaskInputError("input", `${r.reason} (model spec)`);
}
