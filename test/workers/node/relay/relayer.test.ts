/**
 * The relayer of relay mode against a real `hardhat node` and TaskManager: one entry that would
 * revert (a swapped sealed output, a wrong salt) is left out of its batch with a log line naming
 * its task, node and the contract's error, and the others still go out together; an entry that a
 * batch skips (a seat taken by a better rank in the same batch) is settled from the receipt's
 * CommitSkipped with its decoded reason; an entry already on chain is never sent again. With
 * omnitPerEth set, a relayed seat commitment that does not pay for its share of the batch's gas is
 * left out and its commit step counts the task as skipped "unprofitable"; the HTTP door answers 429
 * with Retry-After to a node over relay.maxEntriesPerMinute.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import pino from "pino";
import { Redis } from "ioredis";
import { keccak256, parseEther, toHex, type Abi, type Address, type Hex } from "viem";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  fundAndStake,
  increaseTime,
  mine,
  setIntervalMining,
  startHardhatNode,
  actor,
  type LocalChain,
} from "../../../support/devnet.ts";
import { knownModel } from "../../../support/models.ts";
import type { Deployment } from "../../../../workers/src/chain/deployment.ts";
import { createClients } from "../../../../workers/src/chain/clients.ts";
import { Submitter } from "../../../../workers/src/chain/submitter.ts";
import { TxRevertError } from "../../../../workers/src/chain/errors.ts";
import type { ProfitGuard } from "../../../../workers/src/chain/profit.ts";
import { omniTokenAbi } from "../../../../workers/src/chain/abis.ts";
import {
  commitmentOf,
  deriveSalt,
  generateResultKey,
  outputHashOf,
  sealOutput,
  signCommit,
  type SignedCommit,
} from "../../../../workers/src/protocol/index.ts";
import { Relayer } from "../../../../workers/src/node/relay/relayer.ts";
import { startRelayServer } from "../../../../workers/src/node/relay/http.ts";
import { relaySender } from "../../../../workers/src/node/relay/sender.ts";
import { chainReader, type StepContext, type TaskRecord } from "../../../../workers/src/node/context.ts";
import { createCommon } from "../../../../workers/src/node/common.ts";
import { parseNodeConfig } from "../../../../workers/src/node/config.ts";
import { commit } from "../../../../workers/src/node/steps/commit.ts";
import { closeModels, tinyModel } from "../steps/fake.ts";

const NODES = [1, 2, 3];
/** A key no other test sends with (a process keeps one nonce counter per key, whatever the chain). */
const RELAYER = 12;
const REQUESTER = 10;
const OUT = '{"outputs":[{"name":"label","dims":[1],"data":[1]}]}';
const gas = { maxFeePerGasGwei: 500, maxPriorityFeePerGasGwei: 2, replaceAfterMs: 30_000, bumpPercent: 15 };

describe("relayer: a failing entry never sinks the others", { timeout: 300_000 }, () => {
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  const lines: Record<string, unknown>[] = [];
  const resultKey = generateResultKey();
  const domain = () => ({ chainId: d.chainId, verifyingContract: d.contracts.TaskManager });

  before(async () => {
    chain = await startHardhatNode();
    await setIntervalMining(chain.rpcUrl, 0);
    d = await deployOmniTensor(chain.rpcUrl);
    await fundAndStake(
      chain.rpcUrl,
      d,
      NODES.map((index) => ({ index, roles: 1, stake: parseEther("20000") })),
    );
    await actor(chain.rpcUrl, d, devKey(0)).send(d.contracts.OmniToken, omniTokenAbi as Abi, "transfer", [
      devAddress(REQUESTER),
      parseEther("1000"),
    ]);
    const tiny = knownModel("tiny-mlp");
    modelId = await actor(chain.rpcUrl, d, devKey(9)).registerModel(tiny.sha256, tiny.specJson);
  });
  after(async () => {
    await chain?.stop();
    await closeModels();
  });
  const chain_ = () => chain.rpcUrl;

  function relayer(batchSize: number, profit?: ProfitGuard): Relayer {
    const sink = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split("\n").filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: d.chainId, privateKey: devKey(RELAYER) });
    return new Relayer({
      submitter: new Submitter({ clients, gas, logger }),
      publicClient: clients.publicClient,
      taskManager: d.contracts.TaskManager,
      policy: { batchSize, maxDelayMs: 3_600_000, marginS: 0n },
      logger,
      pollIntervalMs: 100,
      profit,
    });
  }

  async function newTask(redundancy: number, reward = parseEther("10")): Promise<bigint> {
    const id = await actor(chain.rpcUrl, d, devKey(REQUESTER)).createTask({
      modelId,
      input: knownModel("tiny-mlp").sampleInput(1),
      reward,
      redundancy,
      resultKey: resultKey.publicKey,
    });
    await mine(chain.rpcUrl, 2); // the seat seed is known two blocks later
    return id;
  }

  /** Node `i`'s signed seat commitment of OUT in `taskId` (its sealed output swapped when `swap`). */
  async function commitOf(i: number, taskId: bigint, swap = false): Promise<SignedCommit> {
    const node = devAddress(i);
    const salt = await deriveSalt(devKey(i), domain(), taskId);
    const sealedOutput = sealOutput(resultKey.publicKey, taskId, node, salt, OUT);
    const c = await signCommit({
      account: devKey(i),
      domain: domain(),
      taskId,
      place: 1,
      commitment: commitmentOf(taskId, node, outputHashOf(OUT), salt),
      sealedOutput,
      deadline: 2n ** 40n,
    });
    return swap ? { ...c, sealedOutput: toHex(keccak256(sealedOutput)) } : c;
  }

  const tm = <T>(fn: string, args: readonly unknown[]) => actor(chain.rpcUrl, d, devKey(0)).tm<T>(fn, args);
  const named = (what: string, taskId: bigint, node: Address) =>
    lines.find(
      (l) =>
        String(l.msg).includes(what) &&
        l.taskId === taskId.toString() &&
        String(l.node).toLowerCase() === node.toLowerCase(),
    );

  it("leaves out the entry that would revert, skips the one a better rank beats in the batch, sends the rest together", async () => {
    const a = await newTask(3);
    const b = await newTask(1);
    // In task b the better-ranked node goes first: the other one then finds the only seat taken.
    const ranks = await Promise.all([1, 2].map((i) => tm<bigint>("rankOf", [b, devAddress(i)])));
    // Ties order by (rank, address) (PROTOCOL.md §4.2).
    const before1 =
      ranks[0]! < ranks[1]! || (ranks[0] === ranks[1] && BigInt(devAddress(1)) < BigInt(devAddress(2)));
    const [best, worse] = before1 ? [1, 2] : [2, 1];
    const r = relayer(5);
    const entries = [
      r.commit(await commitOf(1, a), 2n ** 40n),
      r.commit(await commitOf(2, a), 2n ** 40n),
      r.commit(await commitOf(3, a, true), 2n ** 40n), // swapped sealed output: the signature does not cover it
      r.commit(await commitOf(best, b), 2n ** 40n),
      r.commit(await commitOf(worse, b), 2n ** 40n),
    ];
    const [a1, a2, a3, bBest, bWorse] = await Promise.allSettled(entries);
    assert.equal(a1.status, "fulfilled");
    assert.equal(a2.status, "fulfilled");
    assert.equal(bBest.status, "fulfilled");
    const hash = (a1 as PromiseFulfilledResult<Hex>).value;
    assert.equal((a2 as PromiseFulfilledResult<Hex>).value, hash, "one commitBatch carried the good entries");
    assert.equal((bBest as PromiseFulfilledResult<Hex>).value, hash);

    assert.equal(a3.status, "rejected");
    const left = (a3 as PromiseRejectedResult).reason as TxRevertError;
    assert.ok(left instanceof TxRevertError && left.errorName, `a named revert: ${String(left)}`);
    assert.ok(named("left out of the batch", a, devAddress(3)), "the log names the task and node left out");

    assert.equal(bWorse.status, "rejected");
    const skipped = (bWorse as PromiseRejectedResult).reason as TxRevertError;
    assert.equal(skipped.errorName, "TaskManagerSeatTaken");
    assert.ok(named("skipped by batch", b, devAddress(worse)), "the log names the skipped entry");

    assert.deepEqual(r.stats().commit, { transactions: 1, entries: 4, gasUsed: r.stats().commit.gasUsed });
    const ta = await tm<{ seatHolders: readonly Address[] }>("getTask", [a]);
    assert.deepEqual(
      [...ta.seatHolders].map((x) => x.toLowerCase()).sort(),
      [1, 2].map((i) => devAddress(i).toLowerCase()).sort(),
    );

    await r.stop();
    // Sent again (a job retried after a restart): refused by the simulation, no transaction.
    const again = relayer(1);
    await assert.rejects(
      again.commit(await commitOf(1, a), 2n ** 40n),
      (e: TxRevertError) => e.errorName === "TaskManagerAlreadyCommitted",
    );
    assert.equal(again.stats().commit.transactions, 0, "nothing sent");
    await again.stop();
  });

  it("reveals in one revealBatch and leaves out a reveal with a wrong salt", async () => {
    const t = await newTask(2);
    const c = relayer(2);
    await Promise.all([c.commit(await commitOf(1, t), 2n ** 40n), c.commit(await commitOf(2, t), 2n ** 40n)]);
    await c.stop();
    const task = await tm<{ commitDeadline: bigint; revealDeadline: bigint }>("getTask", [t]);
    const now = (await actor(chain.rpcUrl, d, devKey(0)).publicClient.getBlock()).timestamp;
    await increaseTime(chain.rpcUrl, task.commitDeadline - now + 1n);
    const r = relayer(3);
    const reveal = async (i: number, salt?: Hex) => ({
      taskId: t,
      node: devAddress(i),
      outputHash: outputHashOf(OUT),
      salt: salt ?? (await deriveSalt(devKey(i), domain(), t)),
    });
    const [ok1, ok2, bad] = await Promise.allSettled([
      r.reveal(await reveal(1), task.revealDeadline),
      r.reveal(await reveal(2), task.revealDeadline),
      r.reveal(await reveal(3, keccak256(toHex("wrong"))), task.revealDeadline), // no commitment of node 3
    ]);
    assert.equal(ok1.status, "fulfilled");
    assert.equal(ok2.status, "fulfilled");
    assert.equal((ok1 as PromiseFulfilledResult<Hex>).value, (ok2 as PromiseFulfilledResult<Hex>).value);
    assert.equal(bad.status, "rejected");
    assert.ok((bad as PromiseRejectedResult).reason instanceof TxRevertError);
    assert.ok(named("left out of the batch", t, devAddress(3)));
    assert.equal((await tm<{ revealedCount: number }>("getTask", [t])).revealedCount, 2);
    assert.deepEqual(r.stats().reveal.transactions, 1);
    await r.stop();
  });

  it("relays the signed commitment another node posts over HTTP, and answers why it refuses one", async () => {
    const t = await newTask(2);
    const r = relayer(1);
    const logger = pino({ level: "silent" });
    const chain = chainReader(actor(chain_(), d, devKey(0)).publicClient as never, d.contracts.TaskManager);
    const allow = [devAddress(1), devAddress(2)];
    const door = await startRelayServer({
      relayer: r,
      chain,
      port: 0,
      host: "127.0.0.1",
      allow,
      maxEntriesPerMinute: 0,
      logger,
    });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${door.port}${path}`, {
        method: "POST",
        body: JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      });
      return { status: res.status, body: (await res.json()) as { hash?: Hex; error?: string } };
    };
    try {
      const ok = await post("/relay/commit", await commitOf(1, t));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const seats = (await tm<{ seatHolders: readonly Address[] }>("getTask", [t])).seatHolders;
      assert.deepEqual(
        seats.map((a) => a.toLowerCase()),
        [devAddress(1).toLowerCase()],
      );
      const swapped = await post("/relay/commit", await commitOf(2, t, true));
      assert.equal(swapped.status, 422);
      assert.match(String(swapped.body.error), /^TaskManager/);
      assert.equal((await post("/relay/commit", await commitOf(3, t))).status, 403, "node 3 is not allowed");
      assert.equal((await post("/relay/commit", { taskId: "x" })).status, 400);
      assert.equal(r.stats().commit.transactions, 1);
    } finally {
      door.server.close();
      door.server.closeAllConnections();
      await r.stop();
    }
  });

  /** A StepContext of node `i` over the real chain, real Redis and the real tiny-mlp model, sending through `r`. */
  async function nodeStep(i: number, r: Relayer) {
    const redis = new Redis({ host: "127.0.0.1", port: 6379, db: 0 });
    const prefix = `test-relay-guard-${process.pid}-${i}-${Date.now()}`;
    const config = parseNodeConfig({
      rpcUrl: chain.rpcUrl,
      privateKey: devKey(i),
      redisUrl: "redis://127.0.0.1:6379",
      roles: ["compute"],
      models: [{ modelId, path: knownModel("tiny-mlp").path }],
      logLevel: "silent",
    });
    const common = createCommon(config, { defaultMetrics: false });
    const publicClient = actor(chain.rpcUrl, d, devKey(0)).publicClient;
    const reader = chainReader(publicClient as never, d.contracts.TaskManager);
    const now = (await publicClient.getBlock()).timestamp;
    const nobody = { send: () => Promise.reject(new Error("no other transaction in this test")) };
    const me = devAddress(i);
    const tx = relaySender({
      relayer: r,
      relayerTx: nobody,
      own: nobody,
      key: devKey(i),
      me,
      chain: reader,
      chainNow: () => now,
      domain: domain(),
      withdraw: false,
    });
    const ctx: StepContext = {
      common,
      chain: reader,
      tx,
      redis,
      me,
      domain: domain(),
      models: new Map([[modelId.toLowerCase() as Hex, await tinyModel()]]),
      key: (name) => `${prefix}:${name}`,
      chainNow: () => now,
      headNumber: () => 0n,
    };
    return {
      /** Runs the commit step of node i's seat in `taskId` (its TaskCreated record stored first). */
      async commitSeat(taskId: bigint) {
        const rec: TaskRecord = {
          taskId: taskId.toString(),
          requester: devAddress(REQUESTER),
          modelId: modelId.toLowerCase() as Hex,
          input: toHex(knownModel("tiny-mlp").sampleInput(1)),
          inputURI: "",
          inputHash: keccak256(toHex(knownModel("tiny-mlp").sampleInput(1))),
          reward: "0",
          redundancy: 1,
          resultKey: resultKey.publicKey,
          seatDeadline: "0",
          revealDeadline: "0",
        };
        await redis.set(ctx.key(`task:${taskId}`), JSON.stringify(rec));
        return commit(ctx, { step: "commit", taskId: taskId.toString(), place: 1 }, common.logger);
      },
      async skipped(reason: string): Promise<number> {
        return (
          (await common.metrics.skipped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0
        );
      },
      async done() {
        const keys = await redis.keys(`${prefix}:*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      },
    };
  }

  /**
   * Nodes 1 and 2 take seats in a task of 100 OMNIT and node 1 in a task of 1 OMNIT, through their
   * commit steps and one relayer (a batch of 3); `omnitPerEth` is set so that about 200,000 gas
   * costs the geometric mean of the two worker shares (a margin of about 7× either way), or 0.
   */
  async function richAndPoor(guarded: boolean) {
    const rich = await newTask(3, parseEther("100"));
    const poor = await newTask(1, parseEther("1"));
    const share = async (id: bigint) => (await tm<{ workerShare: bigint }>("getTask", [id])).workerShare;
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: d.chainId, privateKey: devKey(RELAYER) });
    const fee = await new Submitter({ clients, gas, logger: pino({ level: "silent" }) }).maxFeePerGas(
      "commitWithSig",
    );
    const target = Math.sqrt(Number(await share(rich)) * Number(await share(poor)));
    const omnitPerEth = guarded ? target / Number(200_000n * fee) : 0;
    const r = relayer(3, { omnitPerEth, profitFactor: 1 });
    const [n1, n2] = [await nodeStep(1, r), await nodeStep(2, r)];
    try {
      const [rich1, rich2, poor1] = await Promise.all([
        n1.commitSeat(rich),
        n2.commitSeat(rich),
        n1.commitSeat(poor),
      ]);
      const seats = async (id: bigint) =>
        (await tm<{ seatHolders: readonly Address[] }>("getTask", [id])).seatHolders.map((a) =>
          a.toLowerCase(),
        );
      return {
        rich,
        poor,
        steps: { rich1, rich2, poor1 },
        skipped: [await n1.skipped("unprofitable"), await n2.skipped("unprofitable")],
        seats: { rich: await seats(rich), poor: await seats(poor) },
        commits: r.stats().commit,
      };
    } finally {
      await r.stop();
      await n1.done();
      await n2.done();
    }
  }

  it("omnitPerEth > 0: a relayed seat that does not pay for its share of the gas is left out and counted as skipped; the others go out together", async () => {
    const o = await richAndPoor(true);
    assert.equal(o.steps.rich1.length, 2, "committed: the reveal and the finalize follow");
    assert.equal(o.steps.rich2.length, 2);
    assert.deepEqual(o.steps.poor1, [], "the unprofitable seat ends its job");
    assert.deepEqual(o.skipped, [1, 0], "node 1 counts one task skipped as unprofitable");
    assert.ok(named("unprofitable; left out of the batch", o.poor, devAddress(1)), "the log names it");
    assert.deepEqual(o.seats.poor, [], "nothing sent for the unprofitable seat");
    assert.deepEqual(o.seats.rich.sort(), [1, 2].map((i) => devAddress(i).toLowerCase()).sort());
    assert.equal(o.commits.transactions, 1, "the profitable seats went out in one commitBatch");
    assert.equal(o.commits.entries, 2);
  });

  it("omnitPerEth = 0: no relayed seat is left out", async () => {
    const o = await richAndPoor(false);
    assert.deepEqual(
      [o.steps.rich1.length, o.steps.rich2.length, o.steps.poor1.length],
      [2, 2, 2],
      "every seat committed",
    );
    assert.deepEqual(o.skipped, [0, 0]);
    assert.deepEqual(o.seats.poor, [devAddress(1).toLowerCase()]);
    assert.deepEqual(
      { transactions: o.commits.transactions, entries: o.commits.entries },
      {
        transactions: 1,
        entries: 3,
      },
    );
  });

  it("the door answers 429 with Retry-After to a node over relay.maxEntriesPerMinute, and takes its entries again later", async () => {
    const t = await newTask(2);
    const r = relayer(1);
    const publicClient = actor(chain_(), d, devKey(0)).publicClient;
    const reader = chainReader(publicClient as never, d.contracts.TaskManager);
    let clock = 1_000_000;
    const door = await startRelayServer({
      relayer: r,
      chain: reader,
      port: 0,
      host: "127.0.0.1",
      allow: [devAddress(1), devAddress(2)],
      maxEntriesPerMinute: 2,
      logger: pino({ level: "silent" }),
      now: () => clock,
    });
    const post = async (body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${door.port}/relay/commit`, {
        method: "POST",
        body: JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      });
      const json = (await res.json()) as { error?: string };
      return { status: res.status, retryAfter: res.headers.get("retry-after"), error: json.error };
    };
    try {
      // Node 2's entry is refused by its simulation (422): accepted at the door, counted, nothing sent.
      const bad = await commitOf(2, t, true);
      assert.equal((await post(bad)).status, 422);
      assert.equal((await post(bad)).status, 422);
      const over = await post(bad);
      assert.equal(over.status, 429, "the third entry in a minute");
      assert.equal(over.retryAfter, "30", "one entry comes back every 60 s / 2");
      assert.match(String(over.error), /relay\.maxEntriesPerMinute/);
      assert.equal((await post({ taskId: "x", node: devAddress(2) })).status, 400, "malformed stays 400");
      assert.equal((await post(await commitOf(3, t))).status, 403, "an unknown node stays 403");
      assert.equal((await post(await commitOf(1, t))).status, 200, "node 1 has its own allowance");
      clock += 29_000;
      assert.equal((await post(bad)).status, 429, "not yet");
      clock += 1_000;
      assert.equal((await post(bad)).status, 422, "taken again after 30 s");
      assert.equal((await post(bad)).status, 429);
      clock += 60_000;
      assert.equal((await post(bad)).status, 422, "a full window later");
      assert.equal((await post(bad)).status, 422);
      assert.equal((await post(bad)).status, 429);
      assert.equal(r.stats().commit.transactions, 1, "only node 1's entry was sent");
    } finally {
      door.server.close();
      door.server.closeAllConnections();
      await r.stop();
    }
  });
});
