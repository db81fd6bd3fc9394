import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CliError, type CliCommand } from "../types.ts";
import { parseStrictJson, StrictJsonError } from "../../inference/json-strict.ts";

const help = `Usage: omnitensor model check --model <file.onnx> --spec <spec.json> [--sha256 0x…]

Validates a model spec (PROTOCOL.md §7) against the model's real inputs and outputs: field rules,
input names, types and dims, output names, rules against output types, batching rules, the
runtime version, and the file's sha256 when given. Lists every problem; exit 1 if there is any.

Example:
  omnitensor model check --model test/fixtures/models/tiny-mlp.onnx --spec test/fixtures/models/tiny-mlp.spec.json`;

/** Reads the command line and the spec file (strict JSON). */
async function readArgs(
  argv: string[],
): Promise<{ model: string; spec: string; sha256?: string; raw: unknown; text: string }> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { model: { type: "string" }, spec: { type: "string" }, sha256: { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${help}`);
  }
  if (!values.model || !values.spec) throw new CliError(`--model and --spec are required\n\n${help}`);
  let specText: string;
  try {
    specText = await readFile(values.spec, "utf8");
  } catch (err) {
    throw new CliError(
      `cannot read spec file ${values.spec}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  try {
    const raw = parseStrictJson(specText);
    return { model: values.model, spec: values.spec, sha256: values.sha256, raw, text: specText };
  } catch (err) {
    throw new CliError(`${values.spec}: ${(err as StrictJsonError).message}`);
  }
}

/** The model file's sha256, and a problem when it differs from --sha256. */
async function checkSha(model: string, sha256: string | undefined, problems: string[]): Promise<string> {
  const { normalizeSha256, sha256File } = await import("../../inference/runtime/store.ts");
  let actualSha: string;
  try {
    actualSha = await sha256File(model);
  } catch (err) {
    throw new CliError(
      `cannot read model file ${model}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (sha256 !== undefined) {
    let want: string | undefined;
    try {
      want = `0x${normalizeSha256(sha256)}`;
    } catch {
      problems.push(`--sha256: "${sha256}" is not 32 bytes of hex`);
    }
    if (want && want !== actualSha) problems.push(`model: sha256 is ${actualSha}, expected ${want}`);
  }
  return actualSha;
}

/** The model's real inputs and outputs (a CPU session, opened and released). */
async function modelIo(model: string) {
  // Loaded here, not at the top: `--help` and the command list never load onnxruntime.
  const { createSession, resolveProfile, sessionIo } = await import("../../inference/runtime/session.ts");
  let session;
  try {
    session = await createSession(
      model,
      resolveProfile(
        {
          runtime: "onnxruntime",
          version: "1.x",
          graphOptimizationLevel: "disabled",
          providers: ["cpu"],
          margin: 0,
          maxBatch: 1,
        },
        new Set(["cpu"]),
        1,
      ),
    );
  } catch (err) {
    throw new CliError(`model: ${(err as Error).message.split("\n")[0]}`);
  }
  const io = sessionIo(session);
  await session.release();
  return io;
}

const command: CliCommand = {
  help,
  async run(argv) {
    const values = await readArgs(argv);
    const problems: string[] = [];
    const { checkSpecJson } = await import("../../inference/runtime/check.ts");
    const { runtimeVersion, versionCompatible } = await import("../../inference/runtime/session.ts");
    const actualSha = await checkSha(values.model, values.sha256, problems);
    const io = await modelIo(values.model);
    const { spec, problems: specProblems } = checkSpecJson(values.raw, io, values.text);
    problems.push(...specProblems);
    if (spec && !versionCompatible(spec.execution.version, runtimeVersion()))
      problems.push(
        `execution.version: "${spec.execution.version}" does not admit the installed onnxruntime-node ${runtimeVersion()}`,
      );

    const fmt = (v: { name: string; type: string; dims: (number | string)[] }) =>
      `${v.name}: ${v.type}[${v.dims.join(",")}]`;
    console.log(`model ${values.model} (sha256 ${actualSha})`);
    console.log(`  inputs:  ${io.inputs.map(fmt).join("  ")}`);
    console.log(`  outputs: ${io.outputs.map(fmt).join("  ")}`);
    if (problems.length === 0) {
      console.log(
        `spec ${values.spec}: OK${spec && spec.execution.maxBatch > 1 ? ` (batching up to ${spec.execution.maxBatch})` : ""}${spec?.generate ? ` (generative: ${spec.generate.sampling.method}, vocab ${spec.generate.vocab}, ${spec.generate.cache ? `${spec.generate.cache.length} cache pairs` : "no cache"})` : ""}`,
      );
      return 0;
    }
    console.log(`spec ${values.spec}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    for (const p of problems) console.log(`  - ${p}`);
    return 1;
  },
};

export default command;
