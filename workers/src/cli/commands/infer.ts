import { access, constants, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CliError, type CliCommand } from "../types.ts";
import { InferenceError, ModelSpecError } from "../../inference/errors.ts";
import { stderrLogger } from "../../inference/logger.ts";
import { readTaskInput } from "../input-file.ts";
import { cliTokenizer, generatedText, PROMPT_HELP, PROMPT_OPTIONS, promptTaskInput } from "../prompt.ts";
import type { Tokenizer } from "../../inference/tokenizer.ts";

const help = `Usage: omnitensor infer --model <file.onnx> --spec <spec.json> (--input <input.json> | --prompt <text>) [options]

Runs one task input through a model under its spec (PROTOCOL.md §7) and prints ONE JSON object:
  {"outputHash":"0x…","canonical":"…","margin":…,"skip":false,"result":"ok","provider":"cpu","ms":…}
result is "ok", "INVALID_INPUT", "NON_FINITE" or "FRAGILE" (all exit 0; "reason" says why for the
non-ok ones). margin is null when nothing can flip (infinite). Logs go to stderr. For a generative
model (a spec with a "generate" section) it adds "tokens", "stop" and, with the spec's tokenizer,
"text" (the generated text).

Options:
  --model <file>     the ONNX model file
  --spec <file>      the model spec JSON (as stored in ModelRegistry)
  --input <file>     the task input ("-" reads stdin): JSON, or safetensors (*.safetensors, or a
                     first byte other than "{" or white space) where the spec's inputEncodings
                     allow it; JSON is sent without surrounding white space, as task create does
${PROMPT_HELP}
  --sha256 <0x…>     refuse the model unless its sha256 matches
  --threads <n>      onnxruntime intra-op threads (default 1)
  --no-gpu           never try the CUDA provider
  --verbose          debug logs on stderr

Example:
  omnitensor infer --model test/fixtures/models/tiny-mlp.onnx \\
    --spec test/fixtures/models/tiny-mlp.spec.json --input test/fixtures/models/tiny-mlp.input.json
  omnitensor infer --model models/tiny-lm/tiny-lm.onnx --spec models/tiny-lm/tiny-lm.spec.json \\
    --prompt "We hold these truths" --seed 0x$(printf '11%.0s' {1..32})`;

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    if (path === "-") {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }
    return await readFile(path);
  } catch (err) {
    throw new CliError(
      `cannot read ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The command line, checked: --model, --spec and --input are required, --threads a positive integer. */
function parseInferArgs(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        model: { type: "string" },
        spec: { type: "string" },
        input: { type: "string" },
        sha256: { type: "string" },
        threads: { type: "string" },
        "no-gpu": { type: "boolean" },
        verbose: { type: "boolean" },
        ...PROMPT_OPTIONS,
      },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`);
  }
  for (const k of ["model", "spec"] as const)
    if (!values[k]) throw new CliError(`--${k} is required\n\n${help}`);
  if (values.input === undefined && values.prompt === undefined)
    throw new CliError(`--input is required (or --prompt for a generative model)\n\n${help}`);
  if (values.input !== undefined && values.prompt !== undefined)
    throw new CliError(`give --input or --prompt, not both\n\n${help}`);
  const threads = values.threads === undefined ? 1 : Number(values.threads);
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new CliError(`--threads: must be a positive integer, got "${values.threads}"`);
  return { ...values, model: values.model!, spec: values.spec!, threads };
}

/** The input bytes (--input, or --prompt through the tokenizer); the tokenizer of a generative spec. */
async function taskInput(
  values: ReturnType<typeof parseInferArgs>,
  specText: string,
): Promise<{ input: Uint8Array; tokenizer?: Promise<Tokenizer | null> }> {
  let generative = false;
  try {
    generative = (JSON.parse(specText) as { generate?: unknown }).generate !== undefined;
  } catch {
    // the engine reports a spec that is not JSON
  }
  if (values.prompt !== undefined) {
    if (!generative) throw new CliError("--prompt needs a generative spec (one with a generate section)");
    const { input, tokenizer } = await promptTaskInput(specText, values, values.spec);
    return { input: new TextEncoder().encode(input), tokenizer: Promise.resolve(tokenizer) };
  }
  const file = await readTaskInput(values.input!, (path, code) => `cannot read input file ${path}: ${code}`);
  // Without --prompt the tokenizer is only needed for the text: no text when it cannot be read.
  const tokenizer = generative ? cliTokenizer(specText, values, values.spec).catch(() => null) : undefined;
  return { input: file.bytes, tokenizer };
}

/** tokens, stop and text of a generation's canonical result (nothing for an error result). */
function addGeneration(out: Record<string, unknown>, canonical: string, tokenizer: Tokenizer | null): void {
  const v = JSON.parse(canonical) as { tokens?: number[]; stop?: string };
  if (!v.tokens) return;
  out.tokens = v.tokens;
  out.stop = v.stop;
  if (tokenizer) out.text = generatedText(tokenizer, canonical);
}

const command: CliCommand = {
  help,
  async run(argv) {
    const values = parseInferArgs(argv);
    const specText = (await readInput(values.spec, "spec")).toString("utf8");
    const { input, tokenizer } = await taskInput(values, specText);
    await access(values.model, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read model file ${values.model}: ${err.code ?? err.message}`);
    });
    const logger = stderrLogger(values.verbose ? "debug" : "warn");
    // Loaded here, not at the top: `--help` and the command list never load onnxruntime.
    const { InferenceEngine } = await import("../../inference/runtime/engine.ts");
    const engine = new InferenceEngine({
      logger,
      threads: values.threads,
      allowGpu: !values["no-gpu"],
      batchWindowMs: 0,
    });
    try {
      const model = await engine.load(
        specText,
        values.sha256 ? { path: values.model, sha256: values.sha256 } : values.model,
      );
      const r = await model.infer(input);
      if (r.reason) logger.info({ reason: r.reason }, `result ${r.result}`);
      const out: Record<string, unknown> = {
        outputHash: r.outputHash,
        canonical: r.canonical,
        margin: Number.isFinite(r.margin) ? r.margin : null,
        skip: r.skip,
        result: r.result,
        provider: r.provider,
        ms: Math.round(r.ms * 1000) / 1000,
      };
      if (r.reason) out.reason = r.reason;
      if (tokenizer !== undefined) addGeneration(out, r.canonical, await tokenizer);
      process.stdout.write(JSON.stringify(out) + "\n");
      return 0;
    } catch (err) {
      if (err instanceof ModelSpecError) throw new CliError(`${values.spec}: ${err.problems.join("; ")}`);
      if (err instanceof InferenceError) throw new CliError(err.message);
      throw err;
    } finally {
      await engine.close();
    }
  },
};

export default command;
