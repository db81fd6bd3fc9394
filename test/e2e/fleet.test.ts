/**
 * Scale-out with one node key (issue 15; docs/operator.md, "Running a fleet"), end to end: a
 * `hardhat node`, real Redis, the real PaddleOCR text recognizer on wide text lines (about
 * 1–2 s per run here), one submitter (`node run` with `only: "submit"`: the key, no model) and
 * two inference processes (`node run` with `only: "infer"`: Redis and the model file, no key,
 * no RPC), each a real process of the CLI. Tasks carry their inputs by URI (an HTTP server of
 * this test). One inference process is caught in the middle of a run (its job is active in
 * Redis with that process's pid as progress; the process is frozen with SIGSTOP and the job
 * checked to be still active, so however fast the machine the kill lands mid-job), then killed
 * with SIGKILL: the other process runs that job again, and every task gets exactly one
 * commitment from the node (chain events), with the result the model gives.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Queue } from "bullmq";
import { keccak256, parseEther, type Hex } from "viem";
import { devAddress, devKey, type LocalChain } from "../support/devnet.ts";
import { ensureRedis } from "../support/redis.ts";
import { knownModel } from "../support/models.ts";
import { createTaskByUri, InputServer, wideTextLine } from "../support/input-server.ts";
import { actor, startBot, waitFor, type BotProcess } from "./support.ts";
import { TestNetwork } from "../support/e2e.ts";
import { seatEvents, taskLogs } from "../support/task-logs.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { generateResultKey, openSealedOutput } from "../../workers/src/protocol/index.ts";
import { InferenceEngine } from "../../workers/src/inference/runtime/index.ts";
import { fleetQueuePrefix, runQueueName } from "../../workers/src/node/fleet/protocol.ts";
import type { RunProgress } from "../../workers/src/node/fleet/runner.ts";

const REDIS_DB = 15;
const PREFIX = `e2e-fleet-${process.pid}`;
const NODE = 1;
const REQUESTER = 10;
const TASKS = 3;
const WIDTH = 4800; // ocr-rec x[1,3,48,4800]: 2.8 MB of safetensors, 600 time steps

describe("e2e: one submitter, two inference processes, kill -9 of one mid-job", { timeout: 600_000 }, () => {
  const rec = knownModel("ocr-rec");
  const key = generateResultKey();
  const net = new TestNetwork({
    name: "fleet",
    redis: { db: REDIS_DB, prefix: PREFIX },
    nodes: [{ index: NODE, roles: 1, stake: parseEther("20000") }],
    requester: REQUESTER,
    model: { owner: 9, sha256: rec.sha256, spec: rec.specJson, path: rec.path },
  });
  let chain: LocalChain;
  let d: Deployment;
  const server = new InputServer();
  let modelId: Hex;
  let submitter: BotProcess;
  const infer: BotProcess[] = [];
  let queue: Queue;

  before(async () => {
    await ensureRedis();
    net.onStop(async () => queue?.close());
    net.onStop(() => server.stop());
    ({ chain, d, modelId } = await net.start());
    await server.start();
    queue = new Queue(runQueueName(modelId), {
      connection: { host: "127.0.0.1", port: 6379, db: REDIS_DB },
      prefix: fleetQueuePrefix(PREFIX),
    });
  });

  after(() => net.stop());

  function startProcesses(): void {
    const redis = { redisUrl: net.redisUrl, redisPrefix: PREFIX };
    submitter = startBot(
      `fleet-submit-${process.pid}`,
      {
        ...redis,
        rpcUrl: chain.rpcUrl,
        only: "submit",
        roles: ["compute"],
        models: [{ modelId }], // no file: this process runs no model
        confirmations: 0,
        pollIntervalMs: 200,
        metrics: { port: -1 },
        deploymentFile: net.deploymentFile,
        logLevel: "debug",
      },
      { PRIVATE_KEY: devKey(NODE) },
    );
    net.track(submitter);
    for (const name of ["a", "b"]) infer.push(net.startInfer(name, { lockDurationMs: 2000 }));
  }

  /** Creates a task whose input (too large for calldata) is served by URI. */
  function createTask(input: Uint8Array, n: number): Promise<bigint> {
    const inputURI = server.serve(`/input-${n}.safetensors`, input);
    return createTaskByUri(chain.rpcUrl, d, devKey(REQUESTER), {
      modelId,
      input,
      inputURI,
      resultKey: key.publicKey,
    });
  }

  /** Freezes the inference process that runs a job now and returns it with the job's id (still active: mid-job). */
  async function catchMidJob(): Promise<{ victim: BotProcess; jobId: string }> {
    return waitFor(
      "an inference process caught in the middle of a run",
      async () => {
        for (const job of await queue.getActive()) {
          const pid = (job.progress as RunProgress | undefined)?.pid;
          const victim = infer.find((b) => b.child.pid === pid);
          if (!victim) continue;
          process.kill(-victim.child.pid!, "SIGSTOP");
          const now = await queue.getJob(job.id!);
          const still = (await queue.getJobState(job.id!)) === "active";
          if (still && (now?.progress as RunProgress | undefined)?.pid === pid)
            return { victim, jobId: job.id! };
          process.kill(-victim.child.pid!, "SIGCONT"); // finished meanwhile: try the next run
        }
        return undefined;
      },
      180_000,
      50,
    );
  }

  it("retries the killed process's job on the other one; one commitment per task, nothing twice", async () => {
    startProcesses();
    await waitFor(
      "the submitter and two inference processes started",
      async () =>
        readFileSync(submitter.logFile, "utf8").includes("node started") &&
        infer.every((b) => readFileSync(b.logFile, "utf8").includes("inference process started")),
      180_000,
      500,
    );
    const ids: bigint[] = [];
    for (let n = 0; n < TASKS; n++) ids.push(await createTask(wideTextLine(WIDTH, 31 + n), n));

    const { victim, jobId } = await catchMidJob();
    await victim.kill9();
    const survivor = infer.find((b) => b !== victim)!;
    // The survivor's own account: it started that job again (stalled once) and finished it.
    const survivorSaw = (msg: string) =>
      readFileSync(survivor.logFile, "utf8")
        .split("\n")
        .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"job":"${jobId}"`));
    await waitFor(
      "the killed process's job run again by the other process",
      async () => survivorSaw("run done").length > 0,
      180_000,
      200,
    );
    const again = JSON.parse(survivorSaw("run started")[0]) as { stalled: number };
    assert.ok(
      again.stalled >= 1,
      `the job came back through the stalled-job check (stalled ${again.stalled})`,
    );
    assert.match(survivorSaw("run done")[0], /"result":"ok"/);

    const tm = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const committedBy = (id: bigint) =>
      taskLogs(tm.publicClient, d, seatEvents.committed, { taskId: id, node: devAddress(NODE) });
    for (const id of ids)
      await waitFor(
        `task ${id} committed by the node`,
        async () => (await committedBy(id)).length > 0,
        180_000,
        500,
      );
    // A few more blocks: a second commit (or a reverted attempt) would show by now in events or the log.
    const head = await tm.publicClient.getBlockNumber();
    await waitFor("3 more blocks", async () => (await tm.publicClient.getBlockNumber()) >= head + 3n, 30_000);

    const log = readFileSync(submitter.logFile, "utf8").split("\n").filter(Boolean);
    const direct = new InferenceEngine({ batchWindowMs: 0 });
    try {
      const model = await direct.load(rec.specJson, rec.path);
      for (const id of ids) {
        const events = await committedBy(id);
        assert.equal(events.length, 1, `task ${id}: exactly one commitment from the node`);
        const lines = log.filter((l) => /"msg":"committed"/.test(l) && l.includes(`"taskId":"${id}"`));
        assert.equal(lines.length, 1, `task ${id}: one commit sent by the submitter`);
        const opened = openSealedOutput(
          key.privateKey,
          id,
          devAddress(NODE),
          events[0].args.sealedOutput as Hex,
        );
        const canonical = new TextDecoder().decode(opened.canonical);
        const input = server.inputs.get(`/input-${ids.indexOf(id)}.safetensors`)!;
        if (keccak256(input).slice(2) === jobId)
          assert.equal(
            canonical,
            (await model.infer(input)).canonical,
            "the retried job's result is the model's",
          );
      }
    } finally {
      await direct.close();
    }
  });
});
