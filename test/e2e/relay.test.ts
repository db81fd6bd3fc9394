/**
 * End to end, relay mode: a `hardhat node`, real Redis, the real tiny-mlp ONNX model, and ONE node
 * service (in this process) holding 4 compute keys behind one relayer key that pays the gas. Each
 * key signs its own commitment; the relayer sends them with commitBatch, the reveals with
 * revealBatch and the claims with claimBatch. The batch size is the number of entries the test
 * expects and the max delay is longer than the test, so a batch goes out when it is full or when
 * an entry's deadline comes near (chain time + block time × safety blocks): the counts below do not
 * depend on the machine's speed. The 24 h protocol windows pass by time travel. The keys share one
 * inference engine and one copy of the model (one load, one thread), and the model runs once per
 * distinct input however many keys hold a seat (the run memo): 4 runs for the 16 seats.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther, type Hex } from "viem";
import { chainTime, devAddress, devKey, increaseTime, type LocalChain } from "../support/devnet.ts";
import { actor, waitFor } from "./support.ts";
import { LOG_DIR, TestNetwork } from "../support/e2e.ts";
import {
  carriers,
  relayBatching,
  RELAY_MARGIN_S,
  seatEvents as ev,
  taskLogs,
  total,
  type TaskLog,
  type TaskView,
} from "../support/task-logs.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { knownModel } from "../support/models.ts";
import { generateResultKey } from "../../workers/src/protocol/index.ts";
import type { RunningRelay } from "../../workers/src/node/relay/start.ts";

const REDIS_DB = 9;
const PREFIX = `e2e-relay-${process.pid}`;
const KEYS = [1, 2, 3, 4];
/** A key no other test sends with (a process keeps one nonce counter per key, whatever the chain). */
const RELAYER = 11;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const TASKS = 4;
/** Every key takes a seat in every task: one full batch of each kind, of 16 (the default size, issue 12's measure). */
const ENTRIES = KEYS.length * TASKS;
describe("e2e: relay mode, 4 node keys behind one relayer", { timeout: 600_000 }, () => {
  const tiny = knownModel("tiny-mlp");
  const net = new TestNetwork({
    name: "relay",
    redis: { db: REDIS_DB, prefix: PREFIX },
    nodes: KEYS.map((index) => ({ index, roles: 1, stake: STAKE })),
    requester: REQUESTER,
    model: { owner: 9, sha256: tiny.sha256, spec: tiny.specJson, path: tiny.path },
  });
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  let relay: RunningRelay;

  before(async () => {
    ({ chain, d, modelId } = await net.start());
    relay = await net.startRelay(RELAYER, KEYS, {
      // every task of a key can wait in a batch at once
      concurrency: TASKS + 1,
      relay: relayBatching(ENTRIES),
      metrics: { port: 0 }, // the first key's /metrics and /health
    });
    await relay.caughtUp;
  });

  after(() => net.stop());

  const req = () => actor(chain.rpcUrl, d, devKey(REQUESTER));
  const task = (id: bigint) => req().tm<TaskView>("getTask", [id]);
  const logs = (event: (typeof ev)[keyof typeof ev], args?: Record<string, unknown>) =>
    taskLogs(req().publicClient, d, event, args);
  const chainNow = () => chainTime(chain.rpcUrl);
  /** The transactions that carried `entries` (events), each checked to be the relayer's call of `fn`. */
  const carriersOf = (entries: TaskLog[], fn: string) =>
    carriers(req().publicClient, entries, fn, devAddress(RELAYER));
  /** How many lines of the relay's log (every key's node writes there) carry the message `msg`. */
  const logged = (msg: string) =>
    readFileSync(join(LOG_DIR, `relay-${process.pid}.log`), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("{") && (JSON.parse(l) as { msg?: string }).msg === msg).length;
  /** omnitensor_inference_seconds_count of the model on the first key's /metrics: the model's runs. */
  const runs = async () => {
    const m = await (await fetch(`http://127.0.0.1:${relay.metricsPort}/metrics`)).text();
    const hit = m.match(
      new RegExp(`omnitensor_inference_seconds_count\\{model="${modelId.slice(0, 10)}"\\} (\\d+)`),
    );
    return Number(hit?.[1] ?? 0);
  };

  it("the 4 keys share one inference engine: the model is loaded once, /health shows one thread set", async () => {
    assert.equal(relay.models.engines, 1, "one engine for the 4 keys");
    assert.equal(logged("model loaded and its hash checked"), 1, "the model file is loaded once");
    // /health (served by the first key's node) joins every key's report, each with the shared
    // engine's threads: one thread, live.
    const res = await fetch(`http://127.0.0.1:${relay.metricsPort}/health`);
    const h = (await res.json()) as {
      ok: boolean;
      nodes: { node: string; threads: { threads: number; live: number } }[];
    };
    assert.equal(res.status, 200);
    assert.equal(h.ok, true);
    assert.deepEqual(
      h.nodes.map((n) => n.node.toLowerCase()).sort(),
      KEYS.map((k) => devAddress(k).toLowerCase()).sort(),
    );
    for (const n of h.nodes) assert.deepEqual([n.threads.threads, n.threads.live], [1, 1], n.node);
  });

  it("sends the 4 keys' commits, reveals and claims in batches; every task finalizes and every key is credited", async (t) => {
    const key = generateResultKey();
    const ids: bigint[] = [];
    for (let i = 0; i < TASKS; i++)
      ids.push(
        await req().createTask({
          modelId,
          input: knownModel("tiny-mlp").sampleInput(i + 1),
          reward: parseEther("10"),
          redundancy: KEYS.length,
          resultKey: key.publicKey,
        }),
      );
    const inTasks = (l: { args: Record<string, unknown> }) => ids.includes(l.args.taskId as bigint);

    // 1. Seats: each key signs its commitments; the relayer sends them all in commitBatch.
    for (const id of ids)
      await waitFor(`4 seats in task ${id}`, async () => (await task(id)).seatHolders.length === 4, 180_000);
    const committed = (await logs(ev.committed)).filter(inTasks);
    assert.equal(committed.length, ENTRIES, "every key's commitment is on chain");
    for (const id of ids)
      assert.deepEqual(
        committed
          .filter((l) => l.args.taskId === id)
          .map((l) => (l.args.node as string).toLowerCase())
          .sort(),
        KEYS.map((i) => devAddress(i).toLowerCase()).sort(),
      );
    const commitTxs = await carriersOf(committed, "commitBatch");
    assert.ok(commitTxs.size < ENTRIES, `${commitTxs.size} commitBatch transactions for ${ENTRIES} commits`);

    // 2. Reveal window: the reveals go out in revealBatch.
    const last = await task(ids[ids.length - 1]!);
    await increaseTime(chain.rpcUrl, last.commitDeadline - (await chainNow()) + 1n);
    for (const id of ids)
      await waitFor(`4 reveals in task ${id}`, async () => (await task(id)).revealedCount === 4, 180_000);
    const revealed = (await logs(ev.revealed)).filter(inTasks);
    assert.equal(revealed.length, ENTRIES);
    const revealTxs = await carriersOf(revealed, "revealBatch");
    assert.ok(revealTxs.size < ENTRIES, `${revealTxs.size} revealBatch transactions for ${ENTRIES} reveals`);

    // 3. Finalize (anyone: the relayer), then the claims in claimBatch; each key is credited its share.
    await increaseTime(chain.rpcUrl, last.revealDeadline - (await chainNow()) + 1n);
    for (const id of ids)
      await waitFor(`task ${id} finalized`, async () => (await task(id)).status === 5, 180_000);
    await waitFor(
      "every key claimed in every task",
      async () => (await logs(ev.claimed)).filter(inTasks).length === ENTRIES,
      180_000,
    );
    const claimed = (await logs(ev.claimed)).filter(inTasks);
    const claimTxs = await carriersOf(claimed, "claimBatch");

    // The model ran once per distinct input (4) for the 16 seats: the keys' steps asked for 16 runs.
    assert.ok(logged("model run starts") >= ENTRIES, "each key's step asked for its run");
    assert.equal(logged("model run shared by its input"), TASKS, "one run per distinct input");
    assert.equal(await runs(), TASKS, "omnitensor_inference_seconds_count: one run per distinct input");
    assert.ok(claimTxs.size < ENTRIES, `${claimTxs.size} claimBatch transactions for ${ENTRIES} claims`);
    for (const i of KEYS) {
      const node = devAddress(i);
      const share = claimed
        .filter((l) => (l.args.node as string).toLowerCase() === node.toLowerCase())
        .reduce((s, l) => s + (l.args.amount as bigint), 0n);
      const w = (await req().tm<{ workerShare: bigint }>("getTask", [ids[0]])).workerShare;
      assert.equal(share, w * BigInt(TASKS), `key ${i} claimed its share in each task`);
      assert.equal(
        await req().tm<bigint>("creditOf", [node]),
        share,
        `key ${i} is credited (relay.withdraw off)`,
      );
    }

    // The relayer's own count agrees, and the gas per relayed seat is reported.
    const stats = relay.relayer()!.stats();
    assert.ok(stats.commit.entries >= ENTRIES && stats.commit.transactions < stats.commit.entries);
    const perSeat = (total(commitTxs) + total(revealTxs) + total(claimTxs)) / BigInt(ENTRIES);
    t.diagnostic(
      `gas per relayed seat: ${perSeat} (commitBatch ${total(commitTxs)} in ${commitTxs.size} tx, ` +
        `revealBatch ${total(revealTxs)} in ${revealTxs.size} tx, claimBatch ${total(claimTxs)} in ${claimTxs.size} tx, ` +
        `${ENTRIES} seats)`,
    );
  });

  it("sends a batch that is not full before its earliest entry's deadline", async () => {
    const id = await req().createTask({
      modelId,
      input: knownModel("tiny-mlp").sampleInput(7),
      reward: parseEther("10"),
      redundancy: KEYS.length,
      resultKey: generateResultKey().publicKey,
    });
    // 4 commitments wait: fewer than a batch, far from the deadline, the max delay longer than the test.
    await waitFor("4 commitments waiting", async () => relay.relayer()!.waiting().commit === 4, 180_000);
    assert.equal(
      (await task(id)).seatHolders.length,
      0,
      "nothing sent while the batch is neither full nor due",
    );
    assert.equal((await logs(ev.committed, { taskId: id })).length, 0);

    // Chain time moves to just inside the safety margin before the seat deadline: the batch goes out.
    const t0 = await task(id);
    await increaseTime(chain.rpcUrl, t0.seatDeadline - RELAY_MARGIN_S + 10n - (await chainNow()));
    await waitFor("4 seats", async () => (await task(id)).seatHolders.length === 4, 180_000);
    assert.equal(await runs(), TASKS + 1, "the 4 keys' seats in the new task: one more run");
    const committed = await logs(ev.committed, { taskId: id });
    assert.equal(committed.length, 4);
    const txs = await carriersOf(committed, "commitBatch");
    assert.equal(txs.size, 1, "the 4 commitments went out together");
    const receipt = await req().publicClient.getTransactionReceipt({ hash: [...txs.keys()][0]! });
    const block = await req().publicClient.getBlock({ blockNumber: receipt.blockNumber });
    assert.ok(block.timestamp < t0.seatDeadline, "mined before the seat window closed");
  });
});
