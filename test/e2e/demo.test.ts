/**
 * `npm run demo` end to end, as a user runs it (a separate process: test/ never imports
 * scripts/), and issue 17 item 8: the demo leaves other Redis data alone. Sentinel keys are
 * written first in db 0 (one under the old demo's prefix `demo-bot1`) and in db 12 (the database
 * the old demo flushed); after the demo they are all still there, and the demo's own keys (its
 * per-run prefix, printed in step 1) are gone.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { freePort } from "../support/devnet.ts";
import { runScript } from "../support/script.ts";

const SENTINELS: [db: number, key: string][] = [
  [0, `omnitensor-sentinel-${process.pid}`],
  [0, `demo-bot1-sentinel-${process.pid}`],
  [12, `omnitensor-sentinel-${process.pid}`],
];

async function withRedis<T>(db: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: "127.0.0.1", port: 6379, db, lazyConnect: true });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    await r.quit();
  }
}

/** Runs the demo on a free port; resolves with its exit code and output. */
async function runDemo(timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return runScript(["scripts/demo.ts", "--port", String(await freePort())], timeoutMs);
}

describe("npm run demo", () => {
  before(async () => {
    for (const [db, key] of SENTINELS) await withRedis(db, (r) => r.set(key, "keep me"));
  });
  after(async () => {
    for (const [db, key] of SENTINELS) await withRedis(db, (r) => r.del(key));
  });

  it("runs the whole story (a cheater liquidated in a VAD task and a generation task, a summary table) and leaves other Redis keys alone", async () => {
    const { code, out } = await runDemo(360_000);
    assert.equal(code, 0, `the demo failed:\n${out.slice(-4000)}`);
    assert.equal(
      out.match(/Liquidated compute-4 \(cheater\)/g)?.length,
      2,
      "the cheater liquidated in both tasks",
    );
    // The generation task (issue 16): two Finalized tasks, the prompt and the accepted text in the summary.
    assert.equal(out.match(/#\d+ Finalized: output/g)?.length, 2);
    assert.match(out, /prompt: +"And God said, Let"/);
    assert.match(out, /accepted: +".+" \(\d+ tokens, stop: (eos|length)\)/);
    assert.match(out, /Summary: OMNIT before → after/);
    assert.match(out, /done in \d+ s/);
    for (const [db, key] of SENTINELS)
      assert.equal(await withRedis(db, (r) => r.get(key)), "keep me", `db ${db} key ${key} survived`);
    const prefix = /prefix (omnitensor-demo-\d+-)/.exec(out)?.[1];
    assert.ok(prefix, "the demo prints its Redis prefix");
    const left = await withRedis(0, (r) => r.keys(`${prefix}*`));
    assert.deepEqual(left, [], "the demo deletes its own keys when it ends");
  });
});
