/** The checkpointed watcher against a real `hardhat node` over RPC and real Redis. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import pino from "pino";
import { parseAbiItem, type Address, type Log } from "viem";
import {
  deployContract,
  devAddress,
  devKey,
  mine,
  setIntervalMining,
  startHardhatNode,
  type LocalChain,
} from "../../support/devnet.ts";
import { createClients } from "../../../workers/src/chain/clients.ts";
import { redisCheckpoint } from "../../../workers/src/node/redis.ts";
import { watchLogs } from "../../../workers/src/chain/watcher.ts";
import { omniTokenAbi } from "../../../workers/src/chain/abis.ts";

const transfer = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
const logger = pino({ level: "silent" });
const PREFIX = `test-watcher-${process.pid}`;

describe("watcher", () => {
  let chain: LocalChain;
  let token: Address;
  let redis: Redis;
  let clients: ReturnType<typeof createClients>;

  before(async () => {
    chain = await startHardhatNode();
    await setIntervalMining(chain.rpcUrl, 0); // these tests count blocks: only their own
    token = await deployContract(chain.rpcUrl, "OmniToken", [devAddress(0)]);
    clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    redis = new Redis({ host: "127.0.0.1", port: 6379, db: 0, lazyConnect: false });
  });
  after(async () => {
    await chain?.stop();
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  async function sendTransfers(n: number, value: bigint): Promise<void> {
    for (let i = 0; i < n; i++) {
      const hash = await clients.walletClient.writeContract({
        address: token,
        abi: omniTokenAbi,
        functionName: "transfer",
        args: [devAddress(5), value + BigInt(i)],
      });
      await clients.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    }
  }

  function collect(key: string, confirmations: number, blockRange = 2) {
    const seen: Log[] = [];
    const w = watchLogs({
      client: clients.publicClient,
      address: token,
      events: [transfer],
      fromBlock: 0n,
      confirmations,
      pollIntervalMs: 50,
      blockRange,
      checkpoint: redisCheckpoint(redis, key),
      logger,
      onLogs: async (logs) => {
        seen.push(...logs);
      },
    });
    return { seen, w };
  }

  it("catches up in block ranges, stores the checkpoint, and resumes after a restart without repeats", async () => {
    const key = `${PREFIX}:cp1`;
    await sendTransfers(5, 1000n); // 5 blocks + the mint at deployment
    const a = collect(key, 0);
    await a.w.caughtUp;
    await a.w.stop();
    const values = a.seen.map((l) => (l as unknown as { args: { value: bigint } }).args.value);
    assert.equal(values.length, 6, "the mint and 5 transfers");
    assert.deepEqual(values.slice(1), [1000n, 1001n, 1002n, 1003n, 1004n]);
    const cp = await redisCheckpoint(redis, key).get();
    assert.equal(cp, await clients.publicClient.getBlockNumber());

    await sendTransfers(3, 2000n); // while stopped
    const b = collect(key, 0);
    await b.w.caughtUp;
    await b.w.stop();
    assert.deepEqual(
      b.seen.map((l) => (l as unknown as { args: { value: bigint } }).args.value),
      [2000n, 2001n, 2002n],
      "only the events after the checkpoint",
    );
  });

  it("waits for `confirmations` blocks before handing a log over", async () => {
    const key = `${PREFIX}:cp2`;
    await redisCheckpoint(redis, key).set(await clients.publicClient.getBlockNumber());
    const c = collect(key, 2);
    await c.w.caughtUp;
    await sendTransfers(1, 3000n);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      c.seen.length,
      0,
      `not confirmed yet, but saw blocks ${c.seen.map((l) => l.blockNumber).join(",")} at head ${await clients.publicClient.getBlockNumber()}`,
    );
    await mine(chain.rpcUrl, 2);
    const until = Date.now() + 5000;
    while (c.seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await c.w.stop();
    assert.equal(c.seen.length, 1);
  });

  it("retries a range whose handler failed and moves the checkpoint only after success", async () => {
    const key = `${PREFIX}:cp3`;
    const start = await clients.publicClient.getBlockNumber();
    await redisCheckpoint(redis, key).set(start);
    await sendTransfers(1, 4000n);
    let calls = 0;
    const got: bigint[] = [];
    const w = watchLogs({
      client: clients.publicClient,
      address: token,
      events: [transfer],
      fromBlock: 0n,
      confirmations: 0,
      pollIntervalMs: 50,
      blockRange: 100,
      checkpoint: redisCheckpoint(redis, key),
      logger,
      onLogs: async (logs) => {
        if (logs.length && calls++ === 0) throw new Error("handler down");
        for (const l of logs) got.push((l as unknown as { args: { value: bigint } }).args.value);
      },
    });
    const until = Date.now() + 5000;
    while (got.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await w.stop();
    assert.deepEqual(got, [4000n]);
    assert.equal(calls, 2);
    assert.equal(await redisCheckpoint(redis, key).get(), start + 1n);
  });

  it("checkpoint never moves backwards", async () => {
    const cp = redisCheckpoint(redis, `${PREFIX}:cp4`);
    await cp.set(10n);
    await cp.set(7n);
    assert.equal(await cp.get(), 10n);
  });
});
