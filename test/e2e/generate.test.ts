/**
 * End to end, a generative model (PROTOCOL.md §7, issue 16): a `hardhat node`, real Redis, the
 * trained models/tiny-lm, one compute bot and one verifier bot as separate processes. The requester
 * sends a prompt with `omnitensor task create --prompt` (the registered spec's tokenizer), the bots
 * generate, commit and reveal, the task is Finalized, and `omnitensor task result` gives back the
 * tokens that the engine gives locally for the same prompt and seed, which decode to text.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseAbiItem, parseEther, type Hex } from "viem";
import { chainTime, devAddress, devKey, increaseTime, type LocalChain } from "../support/devnet.ts";
import { actor, waitForBotsStarted, waitFor, type BotProcess } from "./support.ts";
import { TestNetwork } from "../support/e2e.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { cliFolder, runIn } from "../support/cli.ts";
import { trainedLm } from "../support/models.ts";
import { InferenceEngine } from "../../workers/src/inference/runtime/engine.ts";
import { decodeGeneration, loadTokenizer, promptInput } from "../../workers/src/sdk/generate.ts";

const REDIS_DB = 14;
const PREFIX = `e2e-generate-${process.pid}`;
const COMPUTE = 1;
const VERIFIER = 5;
const MODEL_OWNER = 9;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const lm = trainedLm();
const { specText, onnx: ONNX, tokenizer: TOKENIZER, sha256: SHA256 } = lm;
const PROMPT = "We hold these truths";
const SEED = `0x${"5e".repeat(32)}` as const;

interface TaskView {
  status: number;
  seatHolders: readonly string[];
  committedVerifiers: number;
  revealedCount: number;
  seatDeadline: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  acceptedOutputHash: Hex;
}

describe("e2e: a prompt in, text out, through a Finalized task", { timeout: 600_000 }, () => {
  const net = new TestNetwork({
    name: "generate",
    redis: { db: REDIS_DB, prefix: PREFIX },
    nodes: [
      { index: COMPUTE, roles: 1, stake: STAKE },
      { index: VERIFIER, roles: 2, stake: STAKE },
    ],
    requester: REQUESTER,
    model: {
      owner: MODEL_OWNER,
      sha256: SHA256,
      spec: specText,
      path: ONNX,
      uri: "file://tiny-lm.onnx",
      royaltyBps: 500,
    },
  });
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  let conn: string[];
  let keyDir: string;
  const bots: BotProcess[] = [];

  before(async () => {
    ({ chain, d, modelId } = await net.start());
    const folder = await cliFolder(chain, d, "omnit-e2e-gen-");
    net.onStop(() => folder.remove());
    ({ keyDir, conn } = folder);
    for (const i of [COMPUTE, VERIFIER])
      bots.push(net.startBot(i, { roles: i === VERIFIER ? ["verifier"] : ["compute"] }));
  });

  after(() => net.stop());

  it("task create --prompt → Finalized → task result decodes to the locally generated text", async () => {
    await waitForBotsStarted(bots);
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const base = ["--key", devKey(REQUESTER), "--key-dir", keyDir, ...conn];
    const created = await runIn([
      "task",
      "create",
      "--model",
      modelId,
      "--prompt",
      PROMPT,
      "--seed",
      SEED,
      "--max-new-tokens",
      "16",
      "--tokenizer",
      TOKENIZER,
      "--reward",
      "10",
      ...base,
    ]);
    assert.equal(created.code, 0, created.err);
    const taskId = BigInt(/task created: (\d+)/.exec(created.out)![1]);
    const task = () => req.tm<TaskView>("getTask", [taskId]);
    const now = () => chainTime(chain.rpcUrl);

    await waitFor("the seat committed", async () => (await task()).seatHolders.length === 1, 180_000);
    const t0 = await task();
    await increaseTime(chain.rpcUrl, t0.seatDeadline - (await now()) + 1n);
    await waitFor(
      "verifiers drawn",
      async () =>
        (
          await req.publicClient.getLogs({
            address: d.contracts.TaskManager,
            event: parseAbiItem("event VerifiersDrawn(uint256 indexed taskId)"),
            args: { taskId },
            fromBlock: 0n,
          })
        ).length === 1,
      180_000,
    );
    const [, sampled] = await req.tm<readonly [boolean, boolean, boolean]>("isEligible", [
      taskId,
      devAddress(VERIFIER),
    ]);
    if (sampled)
      await waitFor("the verifier committed", async () => (await task()).committedVerifiers === 1, 180_000);
    const commits = 1 + (sampled ? 1 : 0);
    await increaseTime(chain.rpcUrl, t0.commitDeadline - (await now()) + 1n);
    await waitFor("every commit revealed", async () => (await task()).revealedCount === commits, 180_000);
    await increaseTime(chain.rpcUrl, t0.revealDeadline - (await now()) + 1n);
    await waitFor("task finalized", async () => (await task()).status === 5, 180_000);

    const result = await runIn(["task", "result", String(taskId), ...base]);
    assert.equal(result.code, 0, result.err);
    const accepted = /accepted output \((0x[0-9a-f]{64})\): (\{.*\})/.exec(result.out);
    assert.ok(accepted, result.out);
    assert.equal(accepted[1], (await task()).acceptedOutputHash);

    // The same prompt and seed through the engine here: the same tokens, and they decode to text.
    const tok = await loadTokenizer(specText, { path: TOKENIZER });
    const engine = new InferenceEngine({ batchWindowMs: 0 });
    try {
      const model = await engine.load(specText, { path: ONNX, sha256: SHA256 });
      const local = await model.infer(promptInput(specText, tok, PROMPT, { maxNewTokens: 16, seed: SEED }));
      assert.equal(accepted[2], local.canonical);
      assert.equal(accepted[1], local.outputHash);
    } finally {
      await engine.close();
    }
    const text = decodeGeneration(tok, accepted[2])!.text;
    assert.ok(text.length > 0, "some text came back");
  });
});
