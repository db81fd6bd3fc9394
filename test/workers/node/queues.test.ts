/** The worker's BullMQ queues against real Redis: dedupe by jobId, chain-time promotion, retries. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { UnrecoverableError } from "bullmq";
import { QueueSet, RescheduleError, type Handler } from "../../../workers/src/node/queues.ts";
import { jobIdOf, STEPS, type Step, type TaskJobData } from "../../../workers/src/node/jobs.ts";
import { createCommon } from "../../../workers/src/node/common.ts";
import { parseWorkerConfig } from "../../../workers/src/node/config.ts";

const connection = { host: "127.0.0.1", port: 6379, db: 0, maxRetriesPerRequest: null };
const config = parseWorkerConfig({
  rpcUrl: "http://127.0.0.1:1",
  privateKey: "0x" + "11".repeat(32),
  redisUrl: "redis://127.0.0.1:6379",
  roles: ["verifier"],
  logLevel: "silent",
});

describe("queues", () => {
  const prefixes: string[] = [];
  const redis = new Redis(connection);
  after(async () => {
    for (const p of prefixes) {
      const keys = await redis.keys(`${p}:*`);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
  });
  function fresh(chainNow: () => bigint | undefined) {
    const prefix = `test-queues-${process.pid}-${prefixes.length}`;
    prefixes.push(prefix);
    return new QueueSet({ connection, prefix, chainNow, backoffMs: 50, attempts: 3 });
  }
  const noop: Handler = async () => {};
  const handlers = (over: Partial<Record<Step, Handler>>) =>
    Object.fromEntries(STEPS.map((s) => [s, over[s] ?? noop])) as Record<Step, Handler>;

  it("job ids are task-<id>-<step>[-suffix] and never contain ':'", () => {
    assert.equal(jobIdOf(12n, "reveal"), "task-12-reveal");
    assert.equal(jobIdOf("7", "settle", "liquidate-0xabc"), "task-7-settle-liquidate-0xabc");
    assert.throws(() => jobIdOf(1n, "a:b"), /must not contain ':'/);
  });

  it("adding the same task step twice creates one job", async () => {
    const qs = fresh(() => 100n);
    try {
      assert.equal(await qs.add("reveal", { taskId: "5" }, { dueAt: 500n }), true);
      assert.equal(await qs.add("reveal", { taskId: "5" }, { dueAt: 500n }), false);
      assert.equal(await qs.add("reveal", { taskId: "6" }, { dueAt: 500n }), true);
      assert.equal(
        await qs.add("settle", { taskId: "5", action: "liquidate" }, { suffix: "liquidate-0x01" }),
        true,
      );
      assert.equal(
        await qs.add("settle", { taskId: "5", action: "liquidate" }, { suffix: "liquidate-0x02" }),
        true,
      );
      assert.equal(
        await qs.add("settle", { taskId: "5", action: "liquidate" }, { suffix: "liquidate-0x01" }),
        false,
      );
      const d = await qs.depth();
      assert.equal(d.reveal.delayed, 2);
      assert.equal(d.settle.waiting, 2);
    } finally {
      await qs.close();
    }
  });

  it("a job due at a chain time runs once the chain clock reaches it, not before", async () => {
    let now = 1000n;
    const qs = fresh(() => now);
    const ran: string[] = [];
    try {
      await qs.add("finalize", { taskId: "9" }, { dueAt: 1000n + 86_400n }); // a day of chain time
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({ finalize: async (d) => void ran.push(d.taskId) }),
        1,
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(ran, []);
      now += 86_400n; // time travel
      assert.equal(await qs.promoteDue(now), 1);
      const until = Date.now() + 5000;
      while (ran.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(ran, ["9"]);
    } finally {
      await qs.close();
    }
  });

  it("retries failures with backoff, stops at UnrecoverableError, and reschedules on RescheduleError", async () => {
    let now = 50n;
    const qs = fresh(() => now);
    const calls: Record<string, number> = {};
    const seen: TaskJobData[] = [];
    try {
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({
          infer: async (d) => {
            calls[d.taskId] = (calls[d.taskId] ?? 0) + 1;
            if (d.taskId === "1" && calls[d.taskId] < 3) throw new Error("flaky RPC");
            if (d.taskId === "2") throw new UnrecoverableError("model hash mismatch");
          },
          commit: async (d) => {
            seen.push(d);
            if (seen.length === 1) throw new RescheduleError(60n, "not eligible yet");
          },
        }),
        2,
      );
      await qs.add("infer", { taskId: "1" });
      await qs.add("infer", { taskId: "2" });
      await qs.add("commit", { taskId: "3" });
      const until = Date.now() + 8000;
      while ((calls["1"] ?? 0) < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(calls["1"], 3, "two retries then success");
      assert.equal(calls["2"], 1, "no retry after UnrecoverableError");
      assert.equal(await qs.queues.infer.getJobState(jobIdOf(2n, "infer")), "failed");
      assert.equal(seen.length, 1);
      assert.equal(await qs.queues.commit.getJobState(jobIdOf(3n, "commit")), "delayed");
      now = 60n;
      await qs.promoteDue(now);
      const until2 = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < until2) await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, 2);
      assert.equal(seen[1].dueAt, "60");
    } finally {
      await qs.close();
    }
  });

  it("close() waits for the job in flight and is idempotent", async () => {
    const qs = fresh(() => 0n);
    let finished = false;
    qs.startWorkers(
      createCommon(config, { defaultMetrics: false }),
      handlers({
        settle: async () => {
          await new Promise((r) => setTimeout(r, 400));
          finished = true;
        },
      }),
      1,
    );
    await qs.add("settle", { taskId: "4", action: "claim" });
    const until = Date.now() + 3000;
    while ((await qs.queues.settle.getActiveCount()) === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    await Promise.all([qs.close(), qs.close()]);
    assert.equal(finished, true);
  });
});
