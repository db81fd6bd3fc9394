/**
 * Every real-model case of the suite gives the same outputHash through `omnitensor infer` with
 * its input as JSON and as safetensors (PROTOCOL.md §7). Runs the CLI in this process.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../../workers/src/cli/main.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";
import { FIXTURE_DIR, knownModel, type KnownModelId } from "../../support/models.ts";

const tmp = mkdtempSync(join(tmpdir(), "omnit-enc-"));

/** Runs `omnitensor infer …` here and returns the JSON line it prints. */
async function infer(id: KnownModelId, input: string): Promise<Record<string, unknown>> {
  const m = knownModel(id);
  const chunks: string[] = [];
  const write = process.stdout.write;
  // Take the command's JSON line; let everything else (the test reporter) through.
  process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof s === "string" && s.startsWith('{"outputHash"')) {
      chunks.push(s);
      const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (write as (...a: unknown[]) => boolean).call(process.stdout, s, ...rest);
  }) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main([
      "infer",
      "--model",
      m.path,
      "--spec",
      join(FIXTURE_DIR, `${id}.spec.json`),
      "--input",
      input,
    ]);
  } finally {
    process.stdout.write = write;
  }
  assert.equal(code, 0);
  return JSON.parse(chunks.join("")) as Record<string, unknown>;
}

/** The sample of `id`, edited by `edit`, written as name.json and name.safetensors. */
function files(
  id: KnownModelId,
  name: string,
  edit?: (x: { inputs: Record<string, { data: unknown[] }> }) => void,
) {
  const m = knownModel(id);
  const x = JSON.parse(m.sampleInput(1)) as { inputs: Record<string, { data: unknown[] }> };
  edit?.(x);
  const json = join(tmp, `${name}.json`);
  writeFileSync(json, JSON.stringify(x));
  // The tensors straight from the JSON object (not decoded: an invalid value stays as it is).
  const tensors = m.spec.inputs.map((i) => ({
    name: i.name,
    type: i.type,
    dims: (x.inputs[i.name] as unknown as { dims: number[] }).dims,
    data: x.inputs[i.name].data.map((v) => (i.type === "int64" ? BigInt(v as number) : v)) as number[],
  }));
  const d = { tensors };
  const st = join(tmp, `${name}.safetensors`);
  writeFileSync(st, encodeSafetensors(d.tensors));
  // Also without the extension: the first byte says safetensors.
  const bare = join(tmp, `${name}-input`);
  writeFileSync(bare, encodeSafetensors(d.tensors));
  return [json, st, bare];
}

const CASES: [
  KnownModelId,
  string,
  string,
  ((x: { inputs: Record<string, { data: unknown[] }> }) => void)?,
][] = [
  ["ocr-cls", "ok", "ocr-cls"],
  ["ocr-cls", "ok", "ocr-cls-flipped", (x) => void x.inputs.x.data.reverse()],
  ["silero-vad", "ok", "silero-vad"],
  ["silero-vad", "INVALID_INPUT", "silero-vad-sr", (x) => void (x.inputs.sr.data = [44100])],
  ["ocr-rec", "ok", "ocr-rec"],
  ["ocr-det", "ok", "ocr-det"],
];

describe("omnitensor infer: JSON and safetensors inputs give the same outputHash (real models)", () => {
  for (const [id, result, name, edit] of CASES) {
    it(`${name}: ${result}`, async () => {
      const [json, st, bare] = files(id, name, edit);
      const a = await infer(id, json);
      const b = await infer(id, st);
      const c = await infer(id, bare);
      assert.equal(a.result, result, String(a.reason));
      assert.equal(b.outputHash, a.outputHash);
      assert.equal(c.outputHash, a.outputHash);
      assert.equal(b.canonical, a.canonical);
    });
  }
});
