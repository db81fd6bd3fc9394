import type { Hex } from "viem";
import { CliError, type CliCommand } from "../types.ts";
import { PLACE_NAME, type Place } from "../../protocol/constants.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import type { OmniTensorContext } from "../../sdk/context.ts";
import { createTask, type CreatedTask, type CreateTaskParams } from "../../sdk/createTask.ts";
import { defaultKeyDir, saveResultKey } from "../../sdk/keystore.ts";
import { getTask } from "../../sdk/tasks.ts";
import { waitForResult } from "../../sdk/waitForResult.ts";
import { readTaskInput } from "../input-file.ts";
import { generatedText, PROMPT_HELP, PROMPT_OPTIONS, promptTaskInput } from "../prompt.ts";
import { modelSpec } from "../../sdk/generate.ts";
import type { Tokenizer } from "../../inference/tokenizer.ts";
import { COMMON_HELP, connectCli, isoTime, parseAddress, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor task create --model <modelId> (--input <file> | --input-json '<json>' |
                              --input-uri <url> --input-hash <0x…> | --prompt <text>) --reward <OMNIT> [options]

Opens an inference task: escrows the reward (one transaction, with an EIP-2612 permit), makes a
fresh result key and saves its private half to <key-dir>/<chainId>/task-<id>.json (mode 600):
nodes seal their outputs to it, so only you can read them before the reveal phase.

Options:
  --model <0x…>            the model id (from omnitensor model register)
  --input <file>           task input file (PROTOCOL.md §7): JSON {"inputs":{"<name>":{"type","dims","data"}}},
                           or safetensors (*.safetensors, or a first byte other than "{" or white
                           space) for a model whose spec's inputEncodings allow it
  --input-json <json>      the same, inline
  --input-uri <url>        input by URI instead; nodes check keccak256(bytes) == --input-hash
  --input-hash <0x…>       keccak256 of the bytes at --input-uri
${PROMPT_HELP}
                           (the model's registered spec names the tokenizer; with --wait the
                           result is printed as text too)
  --reward <OMNIT>         the reward in OMNIT, e.g. 5 or 2.5 (not wei)
  --redundancy <n>         worker seats, 1..maxRedundancy (default 1)
  --callback <address>     a contract implementing IInferenceConsumer that receives the result
  --callback-gas <gas>     gas for the callback (required with --callback)
  --disputer <address>     an extra address allowed to dispute
  --no-permit              approve + createTask (two transactions) instead of a permit
  --force                  send even when the input fails the checks made before the reward is
                           escrowed (not JSON, NaN/Infinity, the model spec's names, types, dims,
                           ranges and maxInputBytes): nodes would answer INVALID_INPUT and be paid
  --wait                   follow the task to its result, printing progress (reveals for late
                           nodes, finalizes and delivers; a task takes about 24 h on a real network)
  --auto-dispute           with --wait: dispute when the sealed outputs disagree (escrows a bond = reward)
  --key-dir <dir>          where result keys are kept (default: $OMNITENSOR_HOME or ~/.omnitensor)

${COMMON_HELP}

Example:
  REQUESTER_PRIVATE_KEY=0x… omnitensor task create --model 0x3f…c2 --input-json \\
    '{"inputs":{"x":{"type":"float32","dims":[1,4],"data":[0.1,0.2,0.3,0.4]}}}' --reward 5 --wait`;

const OPTIONS = {
  model: { type: "string" },
  input: { type: "string" },
  "input-json": { type: "string" },
  "input-uri": { type: "string" },
  "input-hash": { type: "string" },
  reward: { type: "string" },
  redundancy: { type: "string" },
  callback: { type: "string" },
  "callback-gas": { type: "string" },
  disputer: { type: "string" },
  "no-permit": { type: "boolean" },
  force: { type: "boolean" },
  wait: { type: "boolean" },
  "auto-dispute": { type: "boolean" },
  "key-dir": { type: "string" },
  ...PROMPT_OPTIONS,
} as const;

type Values = ReturnType<typeof parseCli<typeof OPTIONS>>["values"];

/** The task's parameters from the command line (the input read from its file when --input). */
async function taskParams(values: Values): Promise<CreateTaskParams> {
  if (!values.model) throw new CliError(`--model is required\n\n${help}`, 2);
  if (!values.reward) throw new CliError(`--reward is required (in OMNIT, e.g. --reward 5)\n\n${help}`, 2);
  const sources = [values.input, values["input-json"], values["input-uri"], values.prompt].filter(
    (x) => x !== undefined,
  );
  if (sources.length !== 1)
    throw new CliError(`give exactly one of --input, --input-json, --input-uri or --prompt\n\n${help}`, 2);
  let input: string | Uint8Array | undefined = values["input-json"];
  if (values.input !== undefined) {
    const file = await readTaskInput(values.input, (path, code) => `--input: cannot read ${path} (${code})`);
    input = file.encoding === "json" ? new TextDecoder().decode(file.bytes) : file.bytes;
  }
  const callbackGasLimit = values["callback-gas"] === undefined ? undefined : Number(values["callback-gas"]);
  if (values.callback && callbackGasLimit === undefined)
    throw new CliError("--callback-gas is required with --callback");
  return {
    modelId: values.model as Hex,
    input,
    inputURI: values["input-uri"],
    inputHash: values["input-hash"] as Hex | undefined,
    reward: values.reward,
    redundancy: values.redundancy === undefined ? 1 : Number(values.redundancy),
    callback: values.callback ? parseAddress("--callback", values.callback) : undefined,
    callbackGasLimit,
    disputer: values.disputer ? parseAddress("--disputer", values.disputer) : undefined,
    permit: !values["no-permit"],
    force: values.force ?? false,
  };
}

/** --wait: follows the task to its result, printing progress and each node's output. */
async function follow(
  ctx: OmniTensorContext,
  created: CreatedTask,
  autoDispute: boolean,
  tokenizer?: Tokenizer,
): Promise<void> {
  const result = await waitForResult(ctx, created.taskId, {
    resultPrivateKey: created.resultKey.privateKey,
    fromBlock: created.receipt.blockNumber,
    autoDispute,
    onProgress: (p) => console.log(`[${isoTime(p.chainTime)}] task ${p.taskId} ${p.status}: ${p.message}`),
    onCommitment: (r) =>
      console.log(
        `  node ${r.node} committed (${PLACE_NAME[r.place as Place] ?? r.place}): ` +
          (r.ok ? `output ${r.canonicalText}` : `PROBLEM ${r.problem}`),
      ),
  });
  console.log(`result: ${result.outputText ?? "(accepted, but the output bytes are not known here)"}`);
  const text = tokenizer && result.outputText ? generatedText(tokenizer, result.outputText) : null;
  if (text !== null) console.log(`text: ${JSON.stringify(text)}`);
  console.log(
    `  output hash ${result.outputHash} (${result.n} votes, ${result.m} others)${result.delivered ? ", delivered" : ""}`,
  );
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, OPTIONS, help);
      const params = await taskParams(values);
      const ctx = await connectCli(values, true, "requester");
      let tokenizer: Tokenizer | undefined;
      if (values.prompt !== undefined) {
        const spec = await modelSpec(ctx, params.modelId);
        ({ input: params.input, tokenizer } = await promptTaskInput(spec, values));
        console.log(`prompt: ${params.input}`);
      }
      const created = await createTask(ctx, params);
      const keyPath = await saveResultKey(
        values["key-dir"] ?? defaultKeyDir(),
        ctx.deployment.chainId,
        created.taskId,
        created.resultKey,
      );
      console.log(`task created: ${created.taskId}`);
      console.log(`  reward escrowed: ${formatOmnit((await getTask(ctx, created.taskId)).reward)} OMNIT`);
      console.log(
        `  seats open until ${isoTime(created.seatDeadline)}; result by ${isoTime(created.revealDeadline)}`,
      );
      console.log(`  result key saved to ${keyPath} (keep it: it opens the nodes' sealed outputs)`);
      console.log(`  transaction: ${created.receipt.transactionHash}`);
      if (values.wait) await follow(ctx, created, values["auto-dispute"] ?? false, tokenizer);
      else
        console.log(
          `Next: omnitensor task status ${created.taskId}   |   omnitensor task result ${created.taskId}`,
        );
      return 0;
    }),
};
export default command;
