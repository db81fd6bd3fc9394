/**
 * Issue 17 item 9: a loss of the node's Redis state while it runs. Unit: the marker check. Then a
 * real chain (hardhat node, the Ignition deployment), real Redis and two nodes in this process
 * (a compute node and a verifier node, tiny-mlp): their Redis keys are wiped after the seat
 * commit, as the reveal window opens, as the reveal deadline passes, and after finalization;
 * each time the nodes notice (state marker gone), rebuild from the chain, and every duty is
 * done: the verifier draws (and commits and reveals when drawn), the seat reveals, the task is
 * finalized and delivered, and the committed nodes claim and withdraw.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pino from "pino";
import { parseEther, type Abi, type Address, type Hex } from "viem";
import {
  actor,
  chainTime,
  devAddress,
  devKey,
  increaseTime,
  waitFor,
  type LocalChain,
} from "../../support/devnet.ts";
import { wipeRedis } from "../../support/redis.ts";
import { knownModel } from "../../support/models.ts";
import { LOG_DIR, TestNetwork } from "../../support/e2e.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { startNode, type RunningNode } from "../../../workers/src/node/start.ts";
import { stateRecovery } from "../../../workers/src/node/recovery.ts";
import { generateResultKey } from "../../../workers/src/protocol/index.ts";

const DB = 0;
const PREFIX = `test-recovery-${process.pid}`;
const COMPUTE = 1;
const VERIFIER = 5;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const silent = pino({ level: "silent" });

describe("recovery: the state marker", () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: DB });
  const key = (n: string) => `${PREFIX}-unit:${n}`;
  after(async () => {
    await wipeRedis(`${PREFIX}-unit`, DB);
    await redis.quit();
  });

  it("no marker at start: the checkpoint is dropped (scan from the start block) and the marker written", async () => {
    await redis.set(key("checkpoint"), "41");
    const r = stateRecovery({ redis, markerKey: key("m"), checkpointKey: key("checkpoint"), logger: silent });
    await r.init();
    assert.equal(await redis.get(key("checkpoint")), null);
    assert.equal(await redis.exists(key("m")), 1);
    await redis.set(key("checkpoint"), "42");
    await r.init(); // marker present: a normal restart keeps its checkpoint
    assert.equal(await redis.get(key("checkpoint")), "42");
  });

  it("the marker gone while running: a loss, a rescan now and once more after a delay", async () => {
    const r = stateRecovery({
      redis,
      markerKey: key("m2"),
      checkpointKey: key("cp2"),
      logger: silent,
      rescanAgainMs: 100,
    });
    await r.init();
    await redis.set(key("cp2"), "50");
    assert.equal(await r.check(), false);
    assert.equal(await redis.get(key("cp2")), "50");
    // A wipe that deleted the marker but not (yet) the checkpoint: the checkpoint is not trusted.
    await redis.del(key("m2"));
    assert.equal(await r.check(), true);
    assert.equal(r.losses, 1);
    assert.equal(await redis.get(key("cp2")), null);
    await redis.set(key("cp2"), "60"); // the watcher scanned again
    assert.equal(await r.check(), false);
    assert.equal(await redis.get(key("cp2")), "60");
    await new Promise((res) => setTimeout(res, 120));
    assert.equal(await r.check(), false);
    assert.equal(await redis.get(key("cp2")), null, "a second scan, in case the wipe went on");
  });
});

interface TaskView {
  status: number;
  seatHolders: readonly Address[];
  committedVerifiers: number;
  revealedCount: number;
  seatDeadline: bigint;
  verifierSeedBlock: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  delivered: boolean;
}

describe("recovery: Redis wiped at each step of a task's life", { timeout: 300_000 }, () => {
  const tiny = knownModel("tiny-mlp");
  const net = new TestNetwork({
    name: "recovery",
    redis: { db: DB, prefix: `${PREFIX}-node` },
    nodes: [
      { index: COMPUTE, roles: 1, stake: STAKE },
      { index: VERIFIER, roles: 2, stake: STAKE },
    ],
    requester: REQUESTER,
    requesterOmnit: parseEther("100"),
    model: { owner: 9, sha256: tiny.sha256, spec: tiny.specJson },
    intervalMiningMs: 500,
  });
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  const nodes = new Map<number, RunningNode>();
  const lines = new Map<number, string[]>();
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db: DB });

  before(async () => {
    net.onStop(() => Promise.all([...nodes.values()].map((n) => n.stop())));
    net.onStop(async () => {
      mkdirSync(LOG_DIR, { recursive: true });
      for (const [i, out] of lines)
        writeFileSync(join(LOG_DIR, `recovery-node${i}-${process.pid}.log`), out.join(""));
    });
    ({ chain, d, modelId } = await net.start());
    for (const i of [COMPUTE, VERIFIER]) {
      const out: string[] = [];
      lines.set(i, out);
      const config = parseNodeConfig({
        rpcUrl: chain.rpcUrl,
        privateKey: devKey(i),
        redisUrl: net.redisUrl,
        redisPrefix: `${PREFIX}-node${i}`,
        roles: i === VERIFIER ? ["verifier"] : ["compute"],
        models: [{ modelId, path: tiny.path }],
        addresses: d.contracts,
        startBlock: d.startBlock,
        confirmations: 0,
        pollIntervalMs: 200,
        metrics: { port: -1 },
        logLevel: "debug",
      });
      nodes.set(i, await startNode(config, { logDestination: { write: (s: string) => void out.push(s) } }));
    }
    await Promise.all([...nodes.values()].map((n) => n.caughtUp));
  });

  after(async () => {
    await net.stop();
    await redis.quit();
  });

  /**
   * Wipes both nodes' keys; resolves once both noticed the loss. `keepCheckpoint` writes each
   * checkpoint back as it was, as a watcher round that read it before the wipe does when it
   * ends after it (the race that lost a reveal in issue 17 item 9: no rescan ever came).
   */
  async function wipe(what: string, opts: { keepCheckpoint?: boolean } = {}): Promise<void> {
    const seen = (i: number) => lines.get(i)!.filter((l) => l.includes("Redis state lost")).length;
    const before = [seen(COMPUTE), seen(VERIFIER)];
    for (const i of [COMPUTE, VERIFIER]) {
      const cpKey = `${PREFIX}-node${i}:${d.chainId}:${devAddress(i).toLowerCase()}:checkpoint`;
      const cp = await redis.get(cpKey);
      assert.ok((await wipeRedis(`${PREFIX}-node${i}`, DB)) > 0, `${what}: keys`);
      if (opts.keepCheckpoint && cp !== null) await redis.set(cpKey, cp);
    }
    await waitFor(
      `${what}: both nodes notice`,
      async () => seen(COMPUTE) > before[0]! && seen(VERIFIER) > before[1]!,
      30_000,
      50,
    );
  }

  it("every duty is done after each wipe", async () => {
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const taskId = await req.createTask({
      modelId,
      input: knownModel("tiny-mlp").sampleInput(1),
      reward: parseEther("10"),
      redundancy: 1,
      resultKey: generateResultKey().publicKey,
    });
    const task = () => req.tm<TaskView>("getTask", [taskId]);
    const toTime = async (t: bigint) => increaseTime(chain.rpcUrl, t - (await chainTime(chain.rpcUrl)) + 1n);

    await waitFor("the seat committed", async () => (await task()).seatHolders.length === 1, 120_000);
    const t0 = await task();
    await wipe("after the seat commit");

    await toTime(t0.seatDeadline);
    const [, sampled] = await req.tm<readonly [boolean, boolean, boolean]>("isEligible", [
      taskId,
      devAddress(VERIFIER),
    ]);
    await waitFor("verifiers drawn", async () => (await task()).verifierSeedBlock > 0n, 60_000);
    const verifierCommits =
      sampled ||
      (await req.tm<readonly [boolean, boolean, boolean]>("isEligible", [taskId, devAddress(VERIFIER)]))[1]
        ? 1
        : 0;
    if (verifierCommits)
      await waitFor("the verifier committed", async () => (await task()).committedVerifiers === 1, 60_000);

    await toTime(t0.commitDeadline);
    await wipe("as the reveal window opens", { keepCheckpoint: true });
    await waitFor(
      "every node revealed",
      async () => (await task()).revealedCount === 1 + verifierCommits,
      120_000,
    );

    await toTime(t0.revealDeadline);
    await wipe("as the reveal deadline passes", { keepCheckpoint: true });
    await waitFor("finalized", async () => (await task()).status === 5, 120_000);
    await wipe("after finalization");
    await waitFor("delivered", async () => (await task()).delivered, 60_000);
    for (const i of [COMPUTE, ...(verifierCommits ? [VERIFIER] : [])])
      await waitFor(
        `node ${i} claimed and withdrew`,
        async () =>
          (
            await req.read<{ claimed: boolean }>(
              d.contracts.TaskManager,
              taskManagerAbi as Abi,
              "commitmentOf",
              [taskId, devAddress(i)],
            )
          ).claimed && (await req.tm<bigint>("creditOf", [devAddress(i)])) === 0n,
        60_000,
      );
    // At least once per wipe (a wipe still scanning the database may delete the rebuilt keys again).
    for (const i of [COMPUTE, VERIFIER]) {
      const n = lines.get(i)!.filter((l) => l.includes("Redis state lost")).length;
      assert.ok(n >= 4, `node ${i} noticed every wipe (${n} losses for 4 wipes)`);
    }
  });
});
