/**
 * End to end, relay mode and fleet mode together (docs/operator.md §11 and §12): a `hardhat node`,
 * real Redis, the real tiny-mlp ONNX model; ONE relay node in this process holding 3 node keys
 * behind one relayer key with `only: "submit"` (it runs no model), and ONE inference process (a
 * real CLI process, `only: "infer"`: no key, no RPC) that runs the model for the three keys
 * through Redis. Four tasks, every key taking a seat in each; the first and the last carry the
 * same input. Checked: each task gets exactly one commitment per key, sent by the relayer in
 * commitBatch, its sealed output the model's result; the reveals go out in revealBatch, the tasks
 * finalize and the claims go out in claimBatch; the inference process ran each distinct input
 * exactly once (3 runs for 12 seats: the keys' steps share the run job of an input, whose id is
 * its keccak256). Batches as in relay.test.ts: sent when full or near their earliest deadline
 * (the max delay is longer than the test); the 24 h protocol windows pass by time travel.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { keccak256, parseEther, type Address, type Hex } from "viem";
import { chainTime, devAddress, devKey, increaseTime, type LocalChain } from "../support/devnet.ts";
import { ensureRedis } from "../support/redis.ts";
import { knownModel } from "../support/models.ts";
import { TestNetwork, type BotProcess } from "../support/e2e.ts";
import {
  carriers,
  relayBatching,
  seatEvents as ev,
  taskLogs,
  type TaskLog,
  type TaskView,
} from "../support/task-logs.ts";
import { actor, waitFor } from "./support.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { generateResultKey, openSealedOutput } from "../../workers/src/protocol/index.ts";
import { InferenceEngine } from "../../workers/src/inference/runtime/index.ts";
import type { RunningRelay } from "../../workers/src/node/relay/start.ts";

const REDIS_DB = 10;
const PREFIX = `e2e-relay-fleet-${process.pid}`;
/** Keys no other test sends with (a process keeps one nonce counter per key, whatever the chain). */
const KEYS = [14, 15, 16];
const RELAYER = 13;
const REQUESTER = 17;
/** The tasks' inputs (tiny-mlp sample batch sizes): the first and the last task share one. */
const INPUTS = [1, 2, 3, 1];
const TASKS = INPUTS.length;
const ENTRIES = KEYS.length * TASKS;
/** A line of an inference process's log (pino JSON). */
interface LogLine {
  msg: string;
  job?: string;
  metricsPort?: number;
}

describe(
  "e2e: relay mode + fleet mode, 3 node keys behind one relayer, models run by an inference process",
  { timeout: 600_000 },
  () => {
    const tiny = knownModel("tiny-mlp");
    const net = new TestNetwork({
      name: "relay-fleet",
      redis: { db: REDIS_DB, prefix: PREFIX },
      nodes: KEYS.map((index) => ({ index, roles: 1, stake: parseEther("20000") })),
      requester: REQUESTER,
      model: { owner: 9, sha256: tiny.sha256, spec: tiny.specJson, path: tiny.path },
    });
    let chain: LocalChain;
    let d: Deployment;
    let modelId: Hex;
    let relay: RunningRelay;
    let infer: BotProcess;
    const inferLog = (): LogLine[] =>
      readFileSync(infer.logFile, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as LogLine);

    before(async () => {
      await ensureRedis();
      ({ chain, d, modelId } = await net.start());
      relay = await net.startRelay(RELAYER, KEYS, {
        only: "submit",
        models: [{ modelId }], // no file: this process runs no model
        // every task of a key can wait in a batch at once (besides a step waiting for the fleet)
        concurrency: TASKS + 1,
        relay: relayBatching(ENTRIES),
      });
      await relay.caughtUp;
      infer = net.startInfer("a");
      await waitFor(
        "the inference process started",
        async () => inferLog().some((l) => l.msg === "inference process started"),
        120_000,
        500,
      );
    });

    after(() => net.stop());

    const req = () => actor(chain.rpcUrl, d, devKey(REQUESTER));
    const task = (id: bigint) => req().tm<TaskView>("getTask", [id]);
    const logs = async (event: (typeof ev)[keyof typeof ev], ids: bigint[]) =>
      (await taskLogs(req().publicClient, d, event)).filter((l) => ids.includes(l.args.taskId as bigint));
    const byRelayer = (entries: TaskLog[], fn: string) =>
      carriers(req().publicClient, entries, fn, devAddress(RELAYER));
    const keyAddresses = KEYS.map((i) => devAddress(i).toLowerCase()).sort();
    /** Moves chain time just past `deadline`. */
    const pass = async (deadline: bigint) =>
      increaseTime(chain.rpcUrl, deadline - (await chainTime(chain.rpcUrl)) + 1n);

    it("commits, reveals and claims every key's seat through the relayer; one run per distinct input", async (t) => {
      const key = generateResultKey();
      const bytes = INPUTS.map((n) => new TextEncoder().encode(tiny.sampleInput(n)));
      const ids: bigint[] = [];
      for (const n of INPUTS)
        ids.push(
          await req().createTask({
            modelId,
            input: tiny.sampleInput(n),
            reward: parseEther("10"),
            redundancy: KEYS.length,
            resultKey: key.publicKey,
          }),
        );

      // 1. Seats: the fleet computes, each key signs, the relayer sends them all in commitBatch.
      for (const id of ids)
        await waitFor(
          `3 seats in task ${id}`,
          async () => (await task(id)).seatHolders.length === 3,
          180_000,
        );
      const committed = await logs(ev.committed, ids);
      assert.equal(committed.length, ENTRIES, "every key's commitment is on chain");
      for (const id of ids)
        assert.deepEqual(
          committed
            .filter((l) => l.args.taskId === id)
            .map((l) => (l.args.node as string).toLowerCase())
            .sort(),
          keyAddresses,
          `task ${id}: exactly one commitment per key`,
        );
      const commitTxs = await byRelayer(committed, "commitBatch");
      assert.ok(
        commitTxs.size < ENTRIES,
        `${commitTxs.size} commitBatch transactions for ${ENTRIES} commits`,
      );
      // Each sealed output is the model's result for the task's input (the run the keys shared).
      const direct = new InferenceEngine({ batchWindowMs: 0 });
      try {
        const model = await direct.load(tiny.specJson, tiny.path);
        for (const l of committed) {
          const i = ids.indexOf(l.args.taskId as bigint);
          const opened = openSealedOutput(
            key.privateKey,
            ids[i]!,
            l.args.node as Address,
            l.args.sealedOutput as Hex,
          );
          assert.equal(new TextDecoder().decode(opened.canonical), (await model.infer(bytes[i]!)).canonical);
        }
      } finally {
        await direct.close();
      }

      // 2. Reveal window: the reveals go out in revealBatch.
      const last = await task(ids[ids.length - 1]!);
      await pass(last.commitDeadline);
      for (const id of ids)
        await waitFor(`3 reveals in task ${id}`, async () => (await task(id)).revealedCount === 3, 180_000);
      const revealed = await logs(ev.revealed, ids);
      assert.equal(revealed.length, ENTRIES);
      const revealTxs = await byRelayer(revealed, "revealBatch");
      assert.ok(
        revealTxs.size < ENTRIES,
        `${revealTxs.size} revealBatch transactions for ${ENTRIES} reveals`,
      );

      // 3. Finalize, then the claims in claimBatch; each key is credited its share of every task.
      await pass(last.revealDeadline);
      for (const id of ids)
        await waitFor(`task ${id} finalized`, async () => (await task(id)).status === 5, 180_000);
      await waitFor(
        "every key claimed in every task",
        async () => (await logs(ev.claimed, ids)).length === ENTRIES,
        180_000,
      );
      const claimed = await logs(ev.claimed, ids);
      const claimTxs = await byRelayer(claimed, "claimBatch");
      assert.ok(claimTxs.size < ENTRIES, `${claimTxs.size} claimBatch transactions for ${ENTRIES} claims`);
      const share = last.workerShare;
      for (const i of KEYS)
        assert.equal(
          await req().tm<bigint>("creditOf", [devAddress(i)]),
          share * BigInt(TASKS),
          `key ${i} credited`,
        );

      // 4. The inference process ran each distinct input once: its /health and its log agree.
      const distinct = [...new Set(bytes.map((b) => keccak256(b).slice(2)))];
      assert.equal(distinct.length, 3);
      const lines = inferLog();
      const started = lines.filter((l) => l.msg === "run started").map((l) => l.job);
      assert.deepEqual([...started].sort(), [...distinct].sort(), "one run started per distinct input");
      const port = lines.find((l) => l.msg === "inference process started")?.metricsPort;
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
        ok: boolean;
        runs: { done: number; failed: number };
      };
      assert.ok(health.ok);
      assert.deepEqual(health.runs, { done: distinct.length, failed: 0 });
      // The relay node (no model here) is healthy: every key's report, none with a model thread.
      const report = relay.health();
      assert.ok(report.ok, `relay node /health: ${report.reasons.join("; ")}`);
      const nodes = report.nodes as { node: string; models: number; threads?: unknown }[];
      assert.deepEqual(nodes.map((n) => n.node.toLowerCase()).sort(), keyAddresses);
      assert.ok(nodes.every((n) => n.models === 1 && n.threads === undefined));
      t.diagnostic(
        `${ENTRIES} seats: ${commitTxs.size} commitBatch, ${revealTxs.size} revealBatch, ` +
          `${claimTxs.size} claimBatch transactions; ${health.runs.done} model runs`,
      );
    });
  },
);
