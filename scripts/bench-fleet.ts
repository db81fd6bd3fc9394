/**
 * Part of `npm run bench:infer`: tasks per second through a fleet (docs/operator.md §12) with
 * 1 and 2 inference processes. The benchmark is the submitter's side (FleetClient: each task's
 * input hashed, queued in Redis, its result awaited); the inference processes are real
 * `omnitensor node run --only infer` processes on this machine, so the submitter's work, Redis
 * and both processes share its cores. Rounds alternate 1 → 2 → 1 → 2 processes (the second
 * one stopped gracefully and started again); the median of each is reported.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { Redis } from "ioredis";
import type { Hex } from "viem";
import { FleetClient } from "../workers/src/node/fleet/client.ts";
import { knownModel, REPO_ROOT, type KnownModelId } from "../test/support/models.ts";
import { ensureRedis, wipeRedis } from "../test/support/redis.ts";

const DB = 0;
const connection = { host: "127.0.0.1", port: 6379, db: DB, maxRetriesPerRequest: null };

/** Starts an inference process (the CLI) serving `modelId` and resolves once it says it started. */
function startProcess(
  prefix: string,
  modelId: Hex,
  path: string,
  dir: string,
  n: number,
): Promise<ChildProcess> {
  const cfg = join(dir, `infer-${n}.json`);
  const redisUrl = `redis://127.0.0.1:6379/${DB}`;
  writeFileSync(
    cfg,
    JSON.stringify({
      only: "infer",
      redisUrl,
      redisPrefix: prefix,
      models: [{ modelId, path }],
      metrics: { port: -1 },
    }),
  );
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "workers/bin/omnitensor.mjs"), "node", "run", "--config", cfg],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("inference process started")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`inference process exited (${code}): ${out.slice(-500)}`)));
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    child.removeAllListeners("exit");
    child.once("exit", () => r());
    child.kill("SIGTERM");
  });
}

/** Tasks per second of `clients` concurrent submitters, each task a distinct input, for `seconds`. */
async function round(
  infer: (b: Uint8Array) => Promise<unknown>,
  base: Uint8Array,
  clients: number,
  seconds: number,
) {
  let counter = 0;
  const distinct = () => {
    const b = base.slice();
    // the last float32 of the tensor data: a different value per task (so a different run job)
    new DataView(b.buffer).setFloat32(b.length - 4, -2 + (counter++ % 1_000_000) * 1e-6, true);
    return b;
  };
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() - t0 < seconds * 1000 || done < clients) {
        await infer(distinct());
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - t0);
}

/** [label, 1 process, 2 processes, ratio] for model `id` with safetensors input `input`. */
export async function fleetThroughput(
  label: string,
  id: KnownModelId,
  input: Uint8Array,
  seconds: number,
  clients = 8,
): Promise<string[]> {
  await ensureRedis();
  const m = knownModel(id);
  const prefix = `bench-fleet-${process.pid}`;
  const modelId = `0x${"be".repeat(31)}${id.length.toString(16).padStart(2, "0")}` as Hex;
  const redis = new Redis(connection);
  const client = new FleetClient({
    connection,
    redis,
    redisPrefix: prefix,
    logger: pino({ level: "silent" }),
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  const spec = JSON.stringify({ ...JSON.parse(m.specJson), inputEncodings: ["json", "safetensors"] });
  await client.publish(modelId, { spec, onnxSha256: m.sha256 });
  const remote = client.model(modelId);
  const procs = [await startProcess(prefix, modelId, m.path, dir, 0)];
  const rates: number[][] = [[], []];
  try {
    await round((b) => remote.infer(b), input, clients, 1); // warm-up
    for (let r = 0; r < 4; r++) {
      const two = r % 2 === 1;
      if (two) procs.push(await startProcess(prefix, modelId, m.path, dir, r));
      if (two) await round((b) => remote.infer(b), input, 2, 0.2); // the new process's warm-up
      rates[two ? 1 : 0].push(await round((b) => remote.infer(b), input, clients, seconds / 2));
      if (two) await stopProcess(procs.pop()!);
    }
  } finally {
    await Promise.all(procs.map(stopProcess));
    await client.close();
    await redis.quit();
    await wipeRedis(prefix, DB);
  }
  const [one, two] = rates.map((xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
  return [label, one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}×`];
}
