/**
 * Writes test/vectors/input-encodings.json: the same tensors as JSON and as safetensors
 * (PROTOCOL.md §7) give the same canonical output and outputHash, and malformed safetensors
 * give INVALID_INPUT. The outputs come from running the built test models (real onnxruntime).
 *   npx tsx scripts/gen-input-vectors.ts           (writes the file)
 *   npx tsx scripts/gen-input-vectors.ts --check   (exit 1 if the file is out of date)
 * Checked by test/workers/inference/input-vectors.test.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex } from "viem";
import { decodeInput } from "../workers/src/inference/codec.ts";
import { InferenceEngine } from "../workers/src/inference/runtime/engine.ts";
import { encodeSafetensors } from "../workers/src/sdk/safetensors.ts";
import { knownModel, REPO_ROOT, type KnownModelId } from "../test/support/models.ts";

const FILE = join(REPO_ROOT, "test", "vectors", "input-encodings.json");

interface Case {
  name: string;
  model: KnownModelId;
  note: string;
  json?: string;
  /** Bytes → bytes change applied to the safetensors file of `json` (or of the model's sample). */
  corrupt?: (b: Uint8Array) => Uint8Array;
}

const le32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer).setUint32(at, v, true);
const dataStart = (b: Uint8Array) => 8 + Number(new DataView(b.buffer).getBigUint64(0, true));
const headerEdit = (
  b: Uint8Array,
  from: string | RegExp,
  to: string | ((m: string, e: string) => string),
) => {
  const n = dataStart(b) - 8;
  const text = new TextDecoder()
    .decode(b.subarray(8, 8 + n))
    .replace(from, to as string)
    .padEnd(n, " ");
  const out = b.slice();
  out.set(new TextEncoder().encode(text).subarray(0, n), 8);
  return out;
};

const CASES: Case[] = [
  { name: "tiny-mlp-sample", model: "tiny-mlp", note: "float32, 2 rows: argmax + round" },
  {
    name: "tiny-mlp-decimals",
    model: "tiny-mlp",
    note: "decimals that are not float32 values: JSON rounds them to the nearest float32, safetensors holds those float32 bits",
    json: '{"inputs":{"x":{"type":"float32","dims":[1,4],"data":[0.1,-1.3,2.70000001,0.333333343]}}}',
  },
  { name: "int-types-sample", model: "int-types", note: "int64 beyond 2^53, int32 extremes, uint8, bool" },
  { name: "half-sample", model: "half", note: "float16 in and out" },
  {
    name: "nan-bits",
    model: "tiny-mlp",
    note: "a float32 NaN bit pattern",
    corrupt: (b) => (le32(b, dataStart(b), 0x7fc00001), b),
  },
  {
    name: "infinity-bits",
    model: "tiny-mlp",
    note: "float32 -Infinity",
    corrupt: (b) => (le32(b, dataStart(b) + 4, 0xff800000), b),
  },
  {
    name: "bool-byte-2",
    model: "int-types",
    note: "a BOOL byte other than 0/1",
    corrupt: (b) => ((b[b.length - 1] = 2), b),
  },
  {
    name: "header-length-past-end",
    model: "tiny-mlp",
    note: "N > size − 8",
    corrupt: (b) => (le32(b, 0, b.length - 7), b),
  },
  {
    name: "trailing-byte",
    model: "tiny-mlp",
    note: "a byte after the last tensor",
    corrupt: (b) => Uint8Array.from([...b, 0]),
  },
  {
    name: "gap",
    model: "tiny-mlp",
    note: "data_offsets [4, end + 4] leave a gap at 0",
    corrupt: (b) => headerEdit(b, /\[0,(\d+)\]/, (_m, e) => `[4,${Number(e) + 4}]`),
  },
  {
    name: "duplicate-key",
    model: "tiny-mlp",
    note: 'the header repeats "x"',
    corrupt: (b) => headerEdit(b, '{"x":', '{"x":0,"x":'),
  },
  {
    name: "wrong-dtype",
    model: "tiny-mlp",
    note: "F16 for a float32 input",
    corrupt: (b) => headerEdit(b, '"F32"', '"F16"'),
  },
];

/** The spec the vectors use: the model's own, allowing both encodings. */
function specOf(id: KnownModelId): string {
  return JSON.stringify({ ...JSON.parse(knownModel(id).specJson), inputEncodings: ["json", "safetensors"] });
}

async function build(): Promise<string> {
  const engine = new InferenceEngine({ batchWindowMs: 0 });
  const out = [];
  for (const c of CASES) {
    const m = knownModel(c.model);
    const spec = specOf(c.model);
    const model = await engine.load(spec, m.path);
    const json = c.json ?? m.sampleInput(1);
    const decoded = decodeInput(new TextEncoder().encode(json), model.spec);
    if (!decoded.ok) throw new Error(`${c.name}: ${decoded.reason}`);
    const st = encodeSafetensors(decoded.tensors);
    const bytes = c.corrupt ? c.corrupt(st.slice()) : st;
    const a = await model.infer(bytes);
    const b = c.corrupt ? a : await model.infer(json);
    if (a.outputHash !== b.outputHash) throw new Error(`${c.name}: the encodings disagree`);
    if (c.corrupt && a.result !== "INVALID_INPUT") throw new Error(`${c.name}: accepted`);
    out.push({
      name: c.name,
      note: c.note,
      model: c.model,
      spec,
      ...(c.corrupt ? {} : { json }),
      safetensors: bytesToHex(bytes),
      expected: { result: a.result, canonical: a.canonical, outputHash: a.outputHash },
    });
  }
  await engine.close();
  const description =
    "PROTOCOL.md §7 input encodings: a task input as JSON and as safetensors (hex) gives the same canonical output and outputHash on the model (a test model of test/fixtures/models under `spec`); cases without `json` are malformed safetensors, INVALID_INPUT. Generated by scripts/gen-input-vectors.ts; checked by test/workers/inference/input-vectors.test.ts.";
  return JSON.stringify({ description, vectors: out }, null, 2) + "\n";
}

const text = await build();
if (process.argv.includes("--check")) {
  if (readFileSync(FILE, "utf8") !== text) {
    console.error(`${FILE} is out of date: run npx tsx scripts/gen-input-vectors.ts`);
    process.exit(1);
  }
  console.log(`${FILE} is up to date`);
} else {
  writeFileSync(FILE, text);
  console.log(`wrote ${FILE} (${CASES.length} vectors)`);
}
