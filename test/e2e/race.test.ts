/**
 * Two compute bots race for the last (only) seat of a task. Seats go by rank, so the loser must
 * not run the model or pay gas once it can see that it cannot keep the seat, and must stop for
 * good after the re-check. Also exercises the programmatic API: startWorker() / stop().
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { parseEther, type Address, type Hex } from "viem";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  fundAndStake,
  increaseTime,
  startHardhatNode,
  type LocalChain,
} from "../support/devnet.ts";
import { actor, rpcCall, waitFor, wipeRedis } from "./support.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { omniTokenAbi } from "../../workers/src/chain/abis.ts";
import { knownModel } from "../support/models.ts";
import { generateResultKey } from "../../workers/src/protocol/index.ts";
import { parseWorkerConfig } from "../../workers/src/node/config.ts";
import { startWorker, type RunningWorker } from "../../workers/src/node/start.ts";

const REDIS_DB = 12;
const PREFIX = `race-${process.pid}`;
const NODES = [7, 8];
const REQUESTER = 11;

describe("e2e: two bots racing for the last seat", { timeout: 300_000 }, () => {
  let chain: LocalChain;
  let d: Deployment;
  const workers: RunningWorker[] = [];
  const logs = new Map<number, string[]>();

  before(async () => {
    chain = await startHardhatNode();
    d = await deployOmniTensor(chain.rpcUrl);
    await fundAndStake(
      chain.rpcUrl,
      d,
      NODES.map((index) => ({ index, roles: 1, stake: parseEther("20000") })),
    );
    await actor(chain.rpcUrl, d, devKey(0)).send(d.contracts.OmniToken, omniTokenAbi, "transfer", [
      devAddress(REQUESTER),
      parseEther("100"),
    ]);
    await rpcCall(chain.rpcUrl, "evm_setIntervalMining", [1000]);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await chain?.stop();
    await wipeRedis(PREFIX, REDIS_DB);
  });

  it("the better rank keeps the seat; the loser sends no commit after it can see it lost", async () => {
    const tiny = knownModel("tiny-mlp");
    const modelId: Hex = await actor(chain.rpcUrl, d, devKey(9)).registerModel(tiny.sha256, tiny.specJson);
    for (const i of NODES) {
      const lines: string[] = [];
      logs.set(i, lines);
      const sink = new Writable({
        write(chunk, _enc, cb) {
          lines.push(...String(chunk).split("\n").filter(Boolean));
          cb();
        },
      });
      const config = parseWorkerConfig({
        rpcUrl: chain.rpcUrl,
        privateKey: devKey(i),
        redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
        redisPrefix: `${PREFIX}-${i}`,
        roles: ["compute"],
        models: [{ modelId, path: tiny.path }],
        confirmations: 0,
        pollIntervalMs: 100,
        metrics: { port: 0 },
        deploymentFile: undefined,
        addresses: d.contracts,
        startBlock: d.startBlock,
        logLevel: "info",
      });
      workers.push(await startWorker(config, { logDestination: sink, connectTimeoutMs: 30_000 }));
    }
    await Promise.all(workers.map((w) => w.caughtUp));

    // A model file that is not the registered one is refused at start with one clear line.
    const badLines: string[] = [];
    const bad = await startWorker(
      parseWorkerConfig({
        rpcUrl: chain.rpcUrl,
        privateKey: devKey(12),
        redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
        redisPrefix: `${PREFIX}-bad`,
        roles: ["verifier"],
        models: [{ modelId, path: knownModel("nan-log").path }],
        confirmations: 0,
        metrics: { port: 0 },
        addresses: d.contracts,
        startBlock: d.startBlock,
      }),
      {
        logDestination: new Writable({
          write(chunk, _e, cb) {
            badLines.push(...String(chunk).split("\n").filter(Boolean));
            cb();
          },
        }),
      },
    );
    try {
      const h = (await (await fetch(`http://127.0.0.1:${bad.metricsPort}/health`)).json()) as {
        models: number;
      };
      assert.equal(h.models, 0);
      const line = badLines.find((l) => l.includes("fails its hash check"));
      assert.ok(line, "one log line names the hash check failure");
      assert.equal((JSON.parse(line) as { level: number }).level, 50, "at level error");
    } finally {
      await bad.stop();
    }

    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const nonces = async () =>
      Promise.all(NODES.map((i) => req.publicClient.getTransactionCount({ address: devAddress(i) })));
    const start = await nonces();
    const taskId = await req.createTask({
      modelId,
      input: tiny.sampleInput(1),
      reward: parseEther("5"),
      redundancy: 1,
      resultKey: generateResultKey().publicKey,
    });
    type T = { seatHolders: readonly Address[]; createdAt: bigint; seatDeadline: bigint };
    const task = () => req.tm<T>("getTask", [taskId]);
    await waitFor("the seat taken", async () => (await task()).seatHolders.length === 1, 60_000);
    const ranks = await Promise.all(NODES.map((i) => req.tm<bigint>("rankOf", [taskId, devAddress(i)])));
    const better =
      ranks[0] < ranks[1] ||
      (ranks[0] === ranks[1] && devAddress(7).toLowerCase() < devAddress(8).toLowerCase())
        ? 0
        : 1;
    const loser = 1 - better;
    // Let the queues settle, then move past the loser's half-window re-check.
    await new Promise((r) => setTimeout(r, 1500));
    const t = await task();
    await increaseTime(chain.rpcUrl, (t.seatDeadline - t.createdAt) / 2n + 60n);
    await waitFor(
      "the loser's re-check",
      async () =>
        logs
          .get(NODES[loser])!
          .some((l) => l.includes("no real chance of a seat") || l.includes("commit refused")),
      30_000,
    );
    await increaseTime(chain.rpcUrl, 3600);
    await new Promise((r) => setTimeout(r, 1500));

    assert.equal((await task()).seatHolders[0], devAddress(NODES[better]), "the better rank holds the seat");
    const end = await nonces();
    // Besides commits, each bot may send one fixSeed(taskId, 1) two blocks after createTask (§8);
    // whoever is first stores the seat seed, and a bot that reads it stored sends none.
    const sent = async (i: number, fn: string) => {
      const text = await (await fetch(`http://127.0.0.1:${workers[i]!.metricsPort}/metrics`)).text();
      const m = text.match(new RegExp(`omnitensor_tx_sent_total\\{fn="${fn}"\\} (\\d+)`));
      return m ? Number(m[1]) : 0;
    };
    const fixSeeds = [await sent(0, "fixSeed"), await sent(1, "fixSeed")];
    assert.ok(
      fixSeeds.every((n) => n <= 1),
      `at most one fixSeed each (${fixSeeds})`,
    );
    assert.equal(await sent(better, "commit"), 1, "the winner sent exactly one commit");
    assert.equal(end[better] - start[better], 1 + fixSeeds[better]!, "and nothing else but its fixSeed");
    assert.equal(
      end[loser] - start[loser] - fixSeeds[loser]!,
      0,
      "with ranks visible before the run, the loser sent no commit at all",
    );
    assert.ok(!logs.get(NODES[loser])!.some((l) => l.includes('"msg":"committed"')));

    // /metrics and /health of a running worker
    const w = workers[loser];
    const metrics = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
    assert.match(metrics, /omnitensor_tasks_seen_total\{role="compute"\} 1/);
    assert.match(metrics, /omnitensor_tasks_lost_total\{reason="rank"\} 1/);
    const health = await fetch(`http://127.0.0.1:${w.metricsPort}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { node: string }).node, devAddress(NODES[loser]));
    const winnerMetrics = await (
      await fetch(`http://127.0.0.1:${workers[better].metricsPort}/metrics`)
    ).text();
    assert.match(winnerMetrics, /omnitensor_tasks_committed_total\{place="seat"\} 1/);

    // graceful stop: idempotent, closes the metrics server
    await Promise.all([w.stop(), w.stop()]);
    await assert.rejects(fetch(`http://127.0.0.1:${w.metricsPort}/health`));
  });
});
