/**
 * Redis for the tests, the benchmarks and the demo. Redis on 127.0.0.1:6379 is shared: every
 * user works under its own key prefix and deletes only the keys under that prefix, never a
 * whole database (no FLUSHDB, no FLUSHALL). Importing this module has no side effects.
 */
import { spawnSync } from "node:child_process";
import { createConnection } from "node:net";
import { Redis } from "ioredis";

/** Deletes every Redis key under `prefix` in `db` (SCAN + DEL); returns how many went. */
export async function wipeRedis(prefix: string, db: number, url = "redis://127.0.0.1:6379"): Promise<number> {
  if (!prefix) throw new Error("wipeRedis: an empty prefix would delete the whole database");
  const redis = new Redis(url, { db, lazyConnect: true });
  await redis.connect();
  try {
    let n = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== "0");
    return n;
  } finally {
    await redis.quit();
  }
}

/** True when something on host:port answers PING with PONG (within a second). */
export function redisAnswers(host = "127.0.0.1", port = 6379): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000);
    s.once("connect", () => s.write("PING\r\n"));
    s.once("data", (d) => {
      s.destroy();
      res(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => res(false));
    s.once("timeout", () => {
      s.destroy();
      res(false);
    });
  });
}

/**
 * Makes sure Redis answers on 127.0.0.1:6379: starts `redis-server` (in memory, no persistence)
 * when nothing answers and it is installed; throws with install instructions otherwise.
 * Returns what it did, for the caller to print.
 */
export async function ensureRedis(): Promise<"running" | "started"> {
  if (await redisAnswers()) return "running";
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  if (which.status !== 0) {
    throw new Error(
      "no Redis on 127.0.0.1:6379 and redis-server is not installed.\n" +
        "  Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and try again.",
    );
  }
  const args = [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  spawnSync("redis-server", args, { stdio: "ignore" });
  const until = Date.now() + 10_000;
  while (!(await redisAnswers())) {
    if (Date.now() > until) throw new Error("redis-server did not answer on 127.0.0.1:6379 within 10 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  return "started";
}
