/**
 * /health tells the truth: the reasons' bookkeeping (NodeHealth, HeadWatch, QueueFailures) and,
 * over real HTTP, a node whose RPC does not answer yet: /health answers 503 "starting … RPC
 * unreachable" before the first RPC call succeeds, and a metrics port in use fails at once with one
 * line naming the port and the config field, before anything else runs.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { HeadWatch, NodeHealth, QueueFailures } from "../../../workers/src/node/health.ts";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { startNode } from "../../../workers/src/node/start.ts";
import { MetricsPortInUseError } from "../../../workers/src/node/metrics.ts";
import { devKey, freePort } from "../../support/devnet.ts";

class Later extends Error {}

describe("node health", () => {
  it("reports every reason: problems set by the wiring and checks run at each request", () => {
    const h = new NodeHealth();
    let redisDown = true;
    h.check("redis", () => (redisDown ? "Redis is unreachable" : undefined));
    h.set("stake", "stake 0 wei is below minStake 1 wei");
    h.detail("node", () => "0xabc");
    assert.deepEqual(h.report(), {
      ok: false,
      reasons: ["stake 0 wei is below minStake 1 wei", "Redis is unreachable"],
      node: "0xabc",
    });
    redisDown = false;
    h.set("stake", undefined);
    assert.deepEqual(h.report(), { ok: true, reasons: [], node: "0xabc" });
  });

  it("calls a head stale once it has not advanced for staleAfterMs", async () => {
    const w = new HeadWatch(150);
    assert.equal(w.check(), undefined, "nothing seen yet: the RPC check speaks for it");
    w.seen(7n);
    await new Promise((r) => setTimeout(r, 250));
    w.seen(7n); // the same head again: still stale
    assert.match(w.check() ?? "", /no new block for \d+ s \(head 7\): the chain is not moving/);
    w.seen(8n);
    assert.equal(w.check(), undefined);
  });

  it("flags a queue whose last 5 jobs failed, not a rescheduled one, until a job succeeds", async () => {
    const f = new QueueFailures(5);
    let mode: "fail" | "later" | "ok" = "fail";
    const handlers = f.wrap(
      {
        reveal: async (n: number) => {
          if (mode === "fail") throw new Error(`reveal ${n}: RPC refused`);
          if (mode === "later") throw new Later();
          return [n];
        },
      },
      (e) => e instanceof Later,
    );
    for (let i = 0; i < 4; i++) await assert.rejects(handlers.reveal(i));
    assert.equal(f.check(), undefined, "4 failures are not yet 'keep failing'");
    await assert.rejects(handlers.reveal(4));
    assert.equal(f.check(), "queue reveal: the last 5 jobs failed (latest: reveal 4: RPC refused)");
    mode = "later";
    await assert.rejects(handlers.reveal(5), Later);
    assert.match(f.check() ?? "", /the last 5 jobs failed/, "a reschedule changes nothing");
    mode = "ok";
    assert.deepEqual(await handlers.reveal(6), [6]);
    assert.equal(f.check(), undefined);
  });

  it("serves /health before the RPC answers (503 with the reason); a taken metrics port fails at once naming metrics.port", async () => {
    const rpcPort = await freePort(); // nothing listens there
    const metricsPort = await freePort();
    const config = parseNodeConfig({
      rpcUrl: `http://127.0.0.1:${rpcPort}`,
      privateKey: devKey(3),
      redisUrl: "redis://127.0.0.1:6379/0",
      roles: ["verifier"],
      metrics: { port: metricsPort },
      logLevel: "silent",
    });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const starting = startNode(config, { logDestination: sink, connectTimeoutMs: 4000 });
    const failed = assert.rejects(starting, /RPC http:\/\/127\.0\.0\.1:\d+ is unreachable/);
    let res: Response | undefined;
    for (let i = 0; i < 50 && !res; i++)
      res = await fetch(`http://127.0.0.1:${metricsPort}/health`).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return undefined;
      });
    assert.ok(res, "/health answers while the RPC does not");
    assert.equal(res.status, 503);
    const body = (await res.json()) as { ok: boolean; reasons: string[] };
    assert.equal(body.ok, false);
    assert.ok(
      body.reasons.some((r) => r.startsWith("starting")),
      body.reasons.join(" | "),
    );
    await new Promise((r) => setTimeout(r, 300));
    const again = (await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json()) as {
      reasons: string[];
    };
    assert.ok(
      again.reasons.some((r) => new RegExp(`RPC http://127.0.0.1:${rpcPort} is unreachable`).test(r)),
      again.reasons.join(" | "),
    );

    // The same port again: refused before any RPC call, in one line.
    const t0 = Date.now();
    await assert.rejects(startNode(config, { logDestination: sink }), (e: unknown) => {
      assert.ok(e instanceof MetricsPortInUseError, String(e));
      assert.equal(e.message.split("\n").length, 1);
      assert.match(
        e.message,
        new RegExp(`^metrics\\.port ${metricsPort}: 127\\.0\\.0\\.1:${metricsPort} is already in use`),
      );
      assert.match(e.message, /METRICS_PORT, --metrics-port/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1500, "at once, not after the RPC retries");
    await failed;
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/health`), "closed after the failed start");
  });

  it("a port taken by another program is named the same way", async () => {
    const port = await freePort();
    const other = createServer().listen(port, "127.0.0.1");
    await new Promise((r) => other.once("listening", r));
    try {
      const config = parseNodeConfig({
        rpcUrl: "http://127.0.0.1:1",
        privateKey: devKey(3),
        redisUrl: "redis://127.0.0.1:6379/0",
        roles: ["verifier"],
        metrics: { port },
        logLevel: "silent",
      });
      await assert.rejects(startNode(config), MetricsPortInUseError);
    } finally {
      other.close();
    }
  });
});
