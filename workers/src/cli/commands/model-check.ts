import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CliError, type CliCommand } from "../types.ts";
import { checkSpecJson } from "../../inference/runtime/check.ts";
import { parseStrictJson, StrictJsonError } from "../../inference/json-strict.ts";
import {
  createSession,
  resolveProfile,
  runtimeVersion,
  sessionIo,
  versionCompatible,
} from "../../inference/runtime/session.ts";
import { normalizeSha256, sha256File } from "../../inference/runtime/store.ts";

const help = `Usage: omnitensor model check --model <file.onnx> --spec <spec.json> [--sha256 0x…]

Validates a model spec (PROTOCOL.md §7) against the model's real inputs and outputs: field rules,
input names, types and dims, output names, rules against output types, batching rules, the
runtime version, and the file's sha256 when given. Lists every problem; exit 1 if there is any.

Example:
  omnitensor model check --model test/fixtures/models/tiny-mlp.onnx --spec test/fixtures/models/tiny-mlp.spec.json`;

const command: CliCommand = {
  summary: "check a model spec against the model's inputs and outputs; list every problem",
  help,
  async run(argv) {
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
    let raw: unknown;
    try {
      raw = parseStrictJson(specText);
    } catch (err) {
      throw new CliError(`${values.spec}: ${(err as StrictJsonError).message}`);
    }
    const problems: string[] = [];
    let actualSha: string;
    try {
      actualSha = await sha256File(values.model);
    } catch (err) {
      throw new CliError(
        `cannot read model file ${values.model}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (values.sha256 !== undefined) {
      let want: string | undefined;
      try {
        want = `0x${normalizeSha256(values.sha256)}`;
      } catch {
        problems.push(`--sha256: "${values.sha256}" is not 32 bytes of hex`);
      }
      if (want && want !== actualSha) problems.push(`model: sha256 is ${actualSha}, expected ${want}`);
    }
    let session;
    try {
      session = await createSession(
        values.model,
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
    const { spec, problems: specProblems } = checkSpecJson(raw, io);
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
        `spec ${values.spec}: OK${spec && spec.execution.maxBatch > 1 ? ` (batching up to ${spec.execution.maxBatch})` : ""}`,
      );
      return 0;
    }
    console.log(`spec ${values.spec}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    for (const p of problems) console.log(`  - ${p}`);
    return 1;
  },
};

export default command;
