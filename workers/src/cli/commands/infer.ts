import { access, constants, readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CliError, type CliCommand } from "../types.ts";
import { InferenceError, ModelSpecError } from "../../inference/errors.ts";
import { stderrLogger } from "../../inference/logger.ts";
import { readTaskInput } from "../input-file.ts";

const help = `Usage: omnitensor infer --model <file.onnx> --spec <spec.json> --input <input.json> [options]

Runs one task input through a model under its spec (PROTOCOL.md §7) and prints ONE JSON object:
  {"outputHash":"0x…","canonical":"…","margin":…,"skip":false,"result":"ok","provider":"cpu","ms":…}
result is "ok", "INVALID_INPUT", "NON_FINITE" or "FRAGILE" (all exit 0; "reason" says why for the
non-ok ones). margin is null when nothing can flip (infinite). Logs go to stderr.

Options:
  --model <file>     the ONNX model file
  --spec <file>      the model spec JSON (as stored in ModelRegistry)
  --input <file>     the task input ("-" reads stdin): JSON, or safetensors (*.safetensors, or a
                     first byte other than "{" or white space) where the spec's inputEncodings
                     allow it; JSON is sent without surrounding white space, as task create does
  --sha256 <0x…>     refuse the model unless its sha256 matches
  --threads <n>      onnxruntime intra-op threads (default 1)
  --no-gpu           never try the CUDA provider
  --verbose          debug logs on stderr

Example:
  omnitensor infer --model test/fixtures/models/tiny-mlp.onnx \\
    --spec test/fixtures/models/tiny-mlp.spec.json --input test/fixtures/models/tiny-mlp.input.json`;

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
      },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`);
  }
  for (const k of ["model", "spec", "input"] as const)
    if (!values[k]) throw new CliError(`--${k} is required\n\n${help}`);
  const threads = values.threads === undefined ? 1 : Number(values.threads);
  if (!Number.isSafeInteger(threads) || threads < 1)
    throw new CliError(`--threads: must be a positive integer, got "${values.threads}"`);
  return { ...values, model: values.model!, spec: values.spec!, input: values.input!, threads };
}

const command: CliCommand = {
  help,
  async run(argv) {
    const values = parseInferArgs(argv);
    const specText = (await readInput(values.spec, "spec")).toString("utf8");
    const { bytes: input } = await readTaskInput(
      values.input,
      (path, code) => `cannot read input file ${path}: ${code}`,
    );
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
