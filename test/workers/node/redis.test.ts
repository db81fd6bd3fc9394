/** node/redis.ts against real Redis: the outage log (one line per outage), the checkpoint, the connection. */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import pino from "pino";
import { connectRedis, outageLog, redactUrl, redisCheckpoint } from "../../../workers/src/node/redis.ts";
import { createCommon } from "../../../workers/src/node/common.ts";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { devKey, freePort } from "../../support/devnet.ts";

const PREFIX = `test-redis-${process.pid}`;

function sink(): { logger: pino.Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const dest = new Writable({
    write(c, _e, cb) {
      out.push(...String(c).split("\n").filter(Boolean));
      cb();
    },
  });
  return { logger: pino({ level: "info" }, dest), lines: () => out.map((l) => JSON.parse(l)) };
}

describe("node redis", () => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379 });
  after(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("logs an outage once however many connections report it, and its end once", async () => {
    const s = sink();
    const o = outageLog(s.logger, "Redis", 200);
    for (let i = 0; i < 50; i++)
      o.error(new Error("connect ECONNREFUSED"), i % 2 ? "queue infer" : "worker reveal");
    assert.equal(o.down, true);
    o.recovered();
    o.recovered();
    o.error(new Error("Connection is closed."), "queue settle"); // a late reconnect, within the quiet time
    assert.deepEqual(
      s.lines().map((l) => [l.level, l.msg]),
      [
        [50, "Redis is unreachable; retrying with backoff"],
        [30, "Redis reachable again"],
      ],
    );
    await new Promise((r) => setTimeout(r, 250));
    o.error(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }));
    assert.equal(s.lines().length, 3, "a new outage is a new line");
  });

  it("a failed command while Redis answers is a warning, not an outage", () => {
    const s = sink();
    const o = outageLog(s.logger, "Redis", 200);
    o.error(new Error("Missing key for job task-1-finalize. moveToFinished"), "worker finalize");
    assert.equal(o.down, false);
    assert.deepEqual(
      s.lines().map((l) => [l.level, l.msg]),
      [[40, "Redis command failed"]],
    );
    o.error(new Error("Connection is closed."), "queue infer");
    assert.equal(o.down, true);
  });

  it("keeps the watcher's checkpoint in Redis, only moving forward", async () => {
    const cp = redisCheckpoint(redis, `${PREFIX}:cp`);
    assert.equal(await cp.get(), undefined);
    await cp.set(10n);
    await cp.set(7n);
    assert.equal(await cp.get(), 10n);
  });

  it("gives up on an unreachable Redis after the deadline, naming it without its password, each failure reported", async () => {
    const port = await freePort();
    const config = parseNodeConfig({
      rpcUrl: "http://127.0.0.1:8545",
      privateKey: devKey(1),
      redisUrl: `redis://user:secret@127.0.0.1:${port}/0`,
      roles: ["verifier"],
      logLevel: "silent",
    });
    const common = createCommon(config, { destination: new Writable({ write: (_c, _e, cb) => cb() }) });
    const failures: string[] = [];
    await assert.rejects(
      connectRedis(common, { deadline: Date.now() + 2500, onFailure: (m) => failures.push(m) }),
      (e: unknown) => {
        assert.match(
          (e as Error).message,
          new RegExp(`^Redis redis://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0 is unreachable`),
        );
        assert.equal((e as { code?: string }).code, "UNREACHABLE");
        return true;
      },
    );
    assert.ok(failures.length >= 2 && failures.every((f) => !f.includes("secret")), failures.join(" | "));
    await common.shutdown.stop();
    assert.equal(redactUrl("redis://127.0.0.1:6379/2"), "redis://127.0.0.1:6379/2");
  });
});
