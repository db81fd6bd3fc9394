import { readFile } from "node:fs/promises";
import { CliError, type CliCommand } from "../types.ts";
import { validateModelSpec } from "../../inference/spec.ts";
import { parseStrictJson } from "../../inference/json-strict.ts";
import { sha256File } from "../../inference/runtime/store.ts";
import { registerModel } from "../../sdk/registerModel.ts";
import { COMMON_HELP, connectCli, parseCli, runCli } from "../options.ts";
import type { Hex } from "viem";

const help = `Usage: omnitensor model register --onnx <file.onnx> --uri <url> --spec <spec.json> [--royalty <bps>]

Registers a model in the ModelRegistry; your account becomes its owner and earns the royalty on
every task that uses it. The model id is keccak256(abi.encode(your address, sha256(onnx),
keccak256(spec))): the same file and spec registered from another account is another model.
The spec (PROTOCOL.md §7) is checked before anything is sent.

Options:
  --onnx <file>         the ONNX file: its sha256 is what nodes check after downloading <uri>
  --sha256 <0x…>        the file's sha256, instead of --onnx (when the file is not on this machine)
  --uri <url>           where nodes download the ONNX file (https://, ipfs://, …)
  --spec <file>         the model spec JSON file (inputs, outputs with their rules, execution profile)
  --royalty <bps>       royalty in basis points of each reward, 0..2000 (default 0)

${COMMON_HELP}

Example:
  REQUESTER_PRIVATE_KEY=0x… omnitensor model register --onnx test/fixtures/models/half.onnx \\
    --uri https://example.org/half.onnx --spec test/fixtures/models/half.spec.json --royalty 100`;

/** The ONNX file's sha256: --sha256 as given, else computed from --onnx. */
async function onnxSha(onnx: string | undefined, sha256: string | undefined): Promise<Hex> {
  if (sha256) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(sha256))
      throw new CliError(`--sha256: must be 0x followed by 64 hex digits`);
    return sha256.toLowerCase() as Hex;
  }
  try {
    return await sha256File(onnx!);
  } catch (e) {
    throw new CliError(
      `--onnx: cannot read ${onnx} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/** Reads the spec file and checks it against PROTOCOL.md §7; returns the parsed JSON. */
async function readSpec(path: string): Promise<unknown> {
  let specText: string;
  try {
    specText = (await readFile(path, "utf8")).trim();
  } catch (e) {
    throw new CliError(
      `--spec: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let raw: unknown;
  try {
    raw = parseStrictJson(specText);
  } catch (e) {
    throw new CliError(`--spec: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const { problems } = validateModelSpec(raw, specText);
  if (problems.length)
    throw new CliError(`--spec: ${path} is not a valid model spec:\n  - ${problems.join("\n  - ")}`);
  return raw;
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(
        argv,
        {
          onnx: { type: "string" },
          sha256: { type: "string" },
          uri: { type: "string" },
          spec: { type: "string" },
          royalty: { type: "string" },
        },
        help,
      );
      if (!values.onnx && !values.sha256)
        throw new CliError(`--onnx (or --sha256) is required\n\n${help}`, 2);
      if (!values.uri) throw new CliError(`--uri is required\n\n${help}`, 2);
      if (!values.spec) throw new CliError(`--spec is required\n\n${help}`, 2);
      const sha = await onnxSha(values.onnx, values.sha256);
      const raw = await readSpec(values.spec);
      const royalty = values.royalty === undefined ? 0 : Number(values.royalty);
      if (!Number.isInteger(royalty) || royalty < 0 || royalty > 2000)
        throw new CliError(`--royalty: "${values.royalty}" must be an integer from 0 to 2000 (basis points)`);

      const ctx = await connectCli(values, true, "requester");
      // The spec is stored exactly as given (its keccak256 is part of the model id): minified, so that
      // formatting does not make two ids for one spec.
      const spec = JSON.stringify(raw);
      const { modelId, receipt } = await registerModel(ctx, {
        onnxSha256: sha,
        uri: values.uri,
        spec,
        royaltyBps: royalty,
      });
      console.log(`model registered: ${modelId}`);
      console.log(`  onnx sha256: ${sha}`);
      console.log(`  uri:         ${values.uri}`);
      console.log(`  royalty:     ${royalty} bps`);
      console.log(`  owner:       ${ctx.walletClient!.account.address}`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      console.log(`Next: omnitensor task create --model ${modelId} --input <input.json> --reward <OMNIT>`);
      return 0;
    }),
};
export default command;
