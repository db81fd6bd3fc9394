/** The worker's BullMQ queues against real Redis: dedupe by jobId, chain-time promotion, retries. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { UnrecoverableError } from "bullmq";
import { QueueSet, RescheduleError, type Handlers } from "../../../workers/src/node/queues.ts";
import { jobIdOf, type JobData } from "../../../workers/src/node/jobs.ts";
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
  const noop = async () => [];
  const handlers = (over: Partial<Handlers>): Handlers => ({
    infer: noop,
    draw: noop,
    seed: noop,
    commit: noop,
    reveal: noop,
    finalize: noop,
    settle: noop,
    ...over,
  });

  it("job ids are task-<id>-<step>[-suffix] and never contain ':'", () => {
    assert.equal(jobIdOf(12n, "reveal"), "task-12-reveal");
    assert.equal(jobIdOf("7", "settle", "liquidate-0xabc"), "task-7-settle-liquidate-0xabc");
    assert.throws(() => jobIdOf(1n, "a:b"), /must not contain ':'/);
  });

  it("adding the same task step twice creates one job", async () => {
    const qs = fresh(() => 100n);
    try {
      assert.equal(await qs.add({ data: { step: "reveal", taskId: "5" }, dueAt: 500n }), true);
      assert.equal(await qs.add({ data: { step: "reveal", taskId: "5" }, dueAt: 500n }), false);
      assert.equal(await qs.add({ data: { step: "reveal", taskId: "6" }, dueAt: 500n }), true);
      const liq = (node: `0x${string}`) =>
        ({ data: { step: "settle", taskId: "5", action: "liquidate", node } }) as const;
      assert.equal(await qs.add(liq("0x01")), true);
      assert.equal(await qs.add(liq("0x02")), true);
      assert.equal(await qs.add(liq("0x01")), false);
      assert.ok(await qs.queues.settle.getJob("task-5-settle-liquidate-0x01"));
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
      await qs.add({ data: { step: "finalize", taskId: "9" }, dueAt: 1000n + 86_400n }); // a day of chain time
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({
          finalize: async (d) => {
            ran.push(d.taskId);
            return [];
          },
        }),
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
    const seen: JobData[] = [];
    try {
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({
          infer: async (d) => {
            calls[d.taskId] = (calls[d.taskId] ?? 0) + 1;
            if (d.taskId === "1" && calls[d.taskId] < 3) throw new Error("flaky RPC");
            if (d.taskId === "2") throw new UnrecoverableError("model hash mismatch");
            return [];
          },
          commit: async (d) => {
            seen.push(d);
            if (seen.length === 1) throw new RescheduleError(60n, "not eligible yet");
            return [];
          },
        }),
        2,
      );
      await qs.add({ data: { step: "infer", taskId: "1", place: 1 } });
      await qs.add({ data: { step: "infer", taskId: "2", place: 1 } });
      await qs.add({ data: { step: "commit", taskId: "3", place: 1 } });
      const until = Date.now() + 8000;
      while ((calls["1"] ?? 0) < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(calls["1"], 3, "two retries then success");
      assert.equal(calls["2"], 1, "no retry after UnrecoverableError");
      assert.equal(await qs.queues.infer.getJobState(jobIdOf(2n, "infer")), "failed");
      assert.equal(seen.length, 1);
      assert.equal(await qs.queues.commit.getJobState(jobIdOf(3n, "commit", "seat")), "delayed");
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
          return [];
        },
      }),
      1,
    );
    await qs.add({ data: { step: "settle", taskId: "4", action: "claim" } });
    const until = Date.now() + 3000;
    while ((await qs.queues.settle.getActiveCount()) === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    await Promise.all([qs.close(), qs.close()]);
    assert.equal(finished, true);
  });

  it("enqueues the jobs a step returns (deduplicated by id), and refuses job data of another step", async () => {
    const qs = fresh(() => 100n);
    const ran: string[] = [];
    try {
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({
          commit: async (d) => {
            ran.push(`commit-${d.taskId}`);
            return [
              { data: { step: "reveal", taskId: d.taskId }, dueAt: 200n },
              { data: { step: "finalize", taskId: d.taskId } },
              { data: { step: "finalize", taskId: d.taskId } },
            ];
          },
          finalize: async (d) => {
            ran.push(`finalize-${d.taskId}`);
            return [];
          },
        }),
        1,
      );
      await qs.add({ data: { step: "commit", taskId: "8", place: 2 } });
      const until = Date.now() + 5000;
      while (!ran.includes("finalize-8") && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(ran, ["commit-8", "finalize-8"]);
      assert.equal(await qs.queues.reveal.getJobState(jobIdOf(8n, "reveal")), "delayed");
      assert.equal((await qs.queues.finalize.getJobCounts("completed")).completed, 1);
      // A job whose data names another step (e.g. written by an older version) fails at once.
      await qs.queues.reveal.add("reveal", { step: "finalize", taskId: "9" }, { jobId: "odd" });
      const until2 = Date.now() + 5000;
      while ((await qs.queues.reveal.getJobState("odd")) !== "failed" && Date.now() < until2)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(await qs.queues.reveal.getJobState("odd"), "failed");
    } finally {
      await qs.close();
    }
  });

  it("after its keys are deleted (a Redis wipe), the workers take new jobs at once; a job lost mid-run is not an outage", async () => {
    const errors: string[] = [];
    const prefix = `test-queues-${process.pid}-${prefixes.length}`;
    prefixes.push(prefix);
    const qs = new QueueSet({
      connection,
      prefix,
      chainNow: () => 100n,
      backoffMs: 50,
      attempts: 3,
      onConnectionError: (e) => errors.push(e.message),
    });
    const ran: string[] = [];
    try {
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({
          finalize: async (d) => {
            ran.push(d.taskId);
            if (d.taskId === "1") await new Promise((r) => setTimeout(r, 600)); // in flight during the wipe
            return [];
          },
        }),
        1,
      );
      await qs.add({ data: { step: "reveal", taskId: "9" }, dueAt: 10_000n }); // a delayed job: the workers block
      await qs.add({ data: { step: "finalize", taskId: "1" } });
      const until = Date.now() + 5000;
      while (!ran.includes("1") && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      const keys = await redis.keys(`${prefix}:*`);
      assert.ok(keys.length > 0);
      await redis.del(...keys); // the wipe, while job 1 runs and the other workers block on their markers
      await new Promise((r) => setTimeout(r, 800));
      const t0 = Date.now();
      await qs.add({ data: { step: "finalize", taskId: "2" } });
      while (!ran.includes("2") && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ran.includes("2"), "a job added after the wipe runs");
      assert.ok(Date.now() - t0 < 3000, `at once (${Date.now() - t0} ms)`);
      assert.deepEqual(errors, [], "a job lost under a worker is not reported as a Redis outage");
    } finally {
      await qs.close();
    }
  });

  it("runs jobs queued by the version before the step union (no `step`): a reveal, a draw on the commit queue", async () => {
    const qs = fresh(() => 100n);
    const ran: JobData[] = [];
    const record = async (d: JobData) => {
      ran.push(d);
      return [];
    };
    try {
      qs.startWorkers(
        createCommon(config, { defaultMetrics: false }),
        handlers({ reveal: record, draw: record, commit: record }),
        1,
      );
      const old = (q: "reveal" | "commit", data: Record<string, unknown>, jobId: string) =>
        (qs.queues[q] as unknown as { add(n: string, d: unknown, o: unknown): Promise<unknown> }).add(
          q,
          data,
          {
            jobId,
          },
        );
      await old("reveal", { taskId: "3", dueAt: "50" }, "task-3-reveal");
      await old("commit", { taskId: "3", commitAction: "draw" }, "task-3-commit-draw");
      await old("commit", { taskId: "4", place: 2 }, "task-4-commit-verifier");
      const until = Date.now() + 5000;
      while (ran.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const seen = ran.map((d) => `${d.step}-${d.taskId}${d.step === "commit" ? `-${d.place}` : ""}`).sort();
      assert.deepEqual(seen, ["commit-4-2", "draw-3", "reveal-3"]);
    } finally {
      await qs.close();
    }
  });
});
