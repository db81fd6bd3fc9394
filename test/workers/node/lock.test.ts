/** The key's lock in real Redis: one process per key and chain, the holder named, a dead holder replaced. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pino from "pino";
import type { Address } from "viem";
import { acquireNodeLock, lockKey, NodeLockedError } from "../../../workers/src/node/lock.ts";
import { ROOT } from "../../support/devnet.ts";

const logger = pino({ level: "silent" });
const GENESIS = `0x${process.pid.toString(16).padStart(64, "0")}`;
const node = (i: number) => `0x${i.toString(16).padStart(40, "0")}` as Address;

/** A second process that takes the lock of `who` and holds it until killed; resolves once it holds it. */
function holder(who: Address): Promise<ChildProcess> {
  const code = `
    const { Redis } = await import("ioredis");
    const { default: pino } = await import("pino");
    const { acquireNodeLock } = await import(${JSON.stringify(join(ROOT, "workers/src/node/lock.ts"))});
    const redis = new Redis({ host: "127.0.0.1", port: 6379 });
    await acquireNodeLock(redis, { chainId: 31337, genesis: ${JSON.stringify(GENESIS)}, node: ${JSON.stringify(who)}, logger: pino({ level: "silent" }) });
    console.log("holding");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (b: Buffer) => b.toString().includes("holding") && resolve(child));
    child.once("exit", (c) => reject(new Error(`lock holder exited with ${c}`)));
  });
}

describe("node lock", () => {
  let redis: Redis;
  const children: ChildProcess[] = [];
  before(() => {
    redis = new Redis({ host: "127.0.0.1", port: 6379 });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    const keys = await redis.keys(`omnitensor:node-lock:*:${GENESIS}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("refuses a second process with the same key, naming the holder's pid and host; takes over once it is killed", async () => {
    const who = node(1);
    const child = await holder(who);
    children.push(child);
    const opts = { chainId: 31337, genesis: GENESIS, node: who, logger };
    await assert.rejects(acquireNodeLock(redis, opts), (e: unknown) => {
      assert.ok(e instanceof NodeLockedError, String(e));
      assert.equal(e.holder.pid, child.pid);
      assert.equal(e.holder.host, hostname());
      assert.match(e.message, new RegExp(`already in use on chain 31337 by pid ${child.pid} on host `));
      assert.match(e.message, /clash on nonces/);
      return true;
    });
    // kill -9: the lock stays in Redis, but its holder is gone from this host: taken over at once.
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const lock = await acquireNodeLock(redis, opts);
    assert.equal(lock.holder.pid, process.pid);
    assert.equal(JSON.parse((await redis.get(lock.key))!).pid, process.pid);
    await lock.release();
    assert.equal(await redis.exists(lock.key), 0, "released on stop");
  });

  it("two nodes of one key in one process clash as well; another key or chain does not", async () => {
    const a = await acquireNodeLock(redis, { chainId: 31337, genesis: GENESIS, node: node(2), logger });
    await assert.rejects(
      acquireNodeLock(redis, { chainId: 31337, genesis: GENESIS, node: node(2), logger }),
      (e: unknown) => e instanceof NodeLockedError && e.holder.pid === process.pid,
    );
    const b = await acquireNodeLock(redis, { chainId: 31337, genesis: GENESIS, node: node(3), logger });
    const c = await acquireNodeLock(redis, { chainId: 1, genesis: GENESIS, node: node(2), logger });
    await Promise.all([a.release(), b.release(), c.release()]);
    const again = await acquireNodeLock(redis, { chainId: 31337, genesis: GENESIS, node: node(2), logger });
    await again.release();
  });

  it("is refreshed with its TTL, re-taken after a wipe, and reports when another process holds it", async () => {
    const lock = await acquireNodeLock(redis, {
      chainId: 31337,
      genesis: GENESIS,
      node: node(4),
      logger,
      ttlMs: 600,
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await redis.exists(lock.key), 1, "refreshed before its TTL ran out");
    await redis.del(lock.key); // FLUSHALL, eviction
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(JSON.parse((await redis.get(lock.key))!).id, lock.holder.id, "taken again");
    const other = { pid: 999_999, host: "elsewhere", id: "x", since: new Date().toISOString() };
    await redis.set(lock.key, JSON.stringify(other), "PX", 5000);
    await new Promise((r) => setTimeout(r, 400));
    assert.match(lock.lost() ?? "", /pid 999999 on host elsewhere holds this key's lock \(nonce clash\)/);
    await lock.release();
    assert.equal(
      JSON.parse((await redis.get(lockKey(31337, GENESIS, node(4))))!).pid,
      999_999,
      "not ours: kept",
    );
  });
});
