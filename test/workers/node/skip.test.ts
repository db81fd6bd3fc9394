/**
 * node/skip.ts (issue 13: the bots skip tasks by their own reputation data) against a real chain
 * (in-process EDR, the protocol deployed by the devnet harness, a task whose silent verifier is
 * liquidated: test/support/scenario.ts) and real Redis: a node outvoted by its own `reputationOf`
 * record skips seats while a node with a clean record does not, and a requester or a model whose
 * seats got this node liquidated too often is skipped.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import { Redis } from "ioredis";
import pino from "pino";
import { keccak256, toHex, type Address } from "viem";
import { createCommon } from "../../../workers/src/node/common.ts";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import type { NodeContext, TaskRecord } from "../../../workers/src/node/context.ts";
import {
  noteOf,
  noteSeat,
  readOwnRecord,
  skipReason,
  skippedByReputation,
  type SkipPolicy,
} from "../../../workers/src/node/skip.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { deployDevnet, devAddress, devKey, type Target } from "../../support/devnet.ts";
import { finishTask, setupNetwork, startTask } from "../../support/scenario.ts";

const PREFIX = `test-skip-${process.pid}`;
const NODES = [1, 2, 3, 4, 5, 6];
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("node: skip seats by the node's own reputation data", () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379 });
  let conn: Awaited<ReturnType<typeof network.create>>;
  let d: Deployment;
  let silent: Address;
  let revealer: Address;

  before(async () => {
    conn = await network.create();
    const target = conn.provider as unknown as Target;
    d = (await deployDevnet(target)).deployment;
    const net = await setupNetwork(target, d, NODES);
    const t = await startTask(net);
    const r = await finishTask(net, t, { silent: true });
    assert.ok(r.silent, "the scenario made a silent verifier");
    silent = r.silent;
    revealer = devAddress(t.seats[0]);
  });
  after(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await conn?.close();
  });

  /** A NodeContext with what skip.ts uses, for `me`, with the policy `p` (on chain and in Redis). */
  async function ctxOf(me: Address, p: Partial<SkipPolicy>): Promise<NodeContext> {
    const config = parseNodeConfig({
      rpcUrl: "http://127.0.0.1:8545",
      privateKey: devKey(1),
      redisUrl: "redis://127.0.0.1:6379/0",
      roles: ["verifier"],
      logLevel: "silent",
      reputationSkip: p,
    });
    const common = createCommon(config, { destination: quiet() });
    const publicClient = await conn.viem.getPublicClient();
    const ctx = {
      common,
      clients: { publicClient },
      deployment: d,
      me,
      redis,
      key: (name: string) => `${PREFIX}:${me.toLowerCase()}:${name}`,
    };
    return ctx as unknown as NodeContext;
  }

  const rec = (requester: Address, model: string) =>
    ({ requester, modelId: keccak256(toHex(model)) }) as TaskRecord;
  const skippedCount = async (ctx: NodeContext) =>
    (await ctx.common.metrics.skipped.get()).values.find((v) => v.labels.reason === "reputation")?.value ?? 0;
  const log = pino({ level: "silent" });

  it("reads the node's own counters from reputationOf: the liquidated verifier is silent, the seat agreed", async () => {
    const own = await readOwnRecord(await ctxOf(silent, {}));
    assert.deepEqual(own, { agreed: 0, wrong: 0, silent: 1 });
    const seat = await readOwnRecord(await ctxOf(revealer, {}));
    assert.deepEqual(seat, { agreed: 1, wrong: 0, silent: 0 });
  });

  it("an outvoted node (its liquidations above the share) skips seats; a clean one and a disabled policy do not", async () => {
    const task = rec(devAddress(10), "m");
    const on = { enabled: true, minTasks: 1, maxLossShare: 0.34 };
    const outvoted = await ctxOf(silent, on);
    assert.equal(await skippedByReputation(outvoted, task, log), true);
    assert.equal(await skippedByReputation(outvoted, task, log), true);
    assert.equal(await skippedCount(outvoted), 2, "each skip is counted as reason=reputation");
    const clean = await ctxOf(revealer, on);
    assert.equal(await skippedByReputation(clean, task, log), false);
    assert.equal(await skippedCount(clean), 0);
    assert.equal(
      await skippedByReputation(await ctxOf(silent, { minTasks: 1 }), task, log),
      false,
      "off by default",
    );
    const few = await ctxOf(silent, { enabled: true, minTasks: 3 });
    assert.equal(await skippedByReputation(few, task, log), false, "one result is fewer than minTasks");
  });

  it("skips a requester or a model whose seats got this node liquidated more than the share allows", async () => {
    const ctx = await ctxOf(revealer, { enabled: true, minTasks: 3, maxLossShare: 0.34 });
    const p = ctx.common.config.reputationSkip;
    const bad = rec(devAddress(11), "model-a");
    // Seats and liquidations as events.ts notes them: through the task record kept in Redis.
    for (let id = 1n; id <= 3n; id++) {
      await redis.set(ctx.key(`task:${id}`), JSON.stringify(bad));
      await noteOf(ctx, id, "seat");
    }
    await noteOf(ctx, 1n, "loss");
    assert.equal(await skipReason(ctx, bad, p), undefined, "1 liquidation in 3 seats is within 0.34");
    await noteOf(ctx, 2n, "loss");
    assert.equal(await skipReason(ctx, bad, p), "requester: 2 liquidations in 3 seats");
    const otherModel = rec(devAddress(11), "model-b");
    assert.equal(await skipReason(ctx, otherModel, p), "requester: 2 liquidations in 3 seats");
    const otherRequester = rec(devAddress(12), "model-a");
    assert.equal(await skipReason(ctx, otherRequester, p), "model: 2 liquidations in 3 seats");
    const fresh = rec(devAddress(12), "model-b");
    assert.equal(await skipReason(ctx, fresh, p), undefined);
    for (let i = 0; i < 3; i++) await noteSeat(ctx, otherRequester);
    assert.equal(await skipReason(ctx, otherRequester, p), undefined, "the model's share fell: 2 in 6");
    await noteOf(ctx, 99n, "loss"); // a task without a record: nothing noted
    assert.equal(await skipReason(ctx, otherRequester, p), undefined);
    assert.equal(await skippedByReputation(ctx, bad, log), true);
  });
});
