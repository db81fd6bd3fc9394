/**
 * Runs the indexer (Ponder, indexer/) as a child process in its own process group, for the
 * indexer and dashboard tests and `npm run dashboard`. Importing it has no side effects.
 *
 *   const ix = await startIndexer({ deploymentFile, rpcUrl });      // PGlite in a fresh folder
 *   const ix = await startIndexer({ ..., databaseUrl });            // PostgreSQL
 *   await ix.waitForBlock(n);  const overview = await ix.get("/api/overview");
 *   await ix.stop();
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort, killGroup, ROOT } from "./devnet.ts";

export interface IndexerOptions {
  deploymentFile: string;
  rpcUrl: string;
  /** PostgreSQL URL; without it PGlite runs in `pgliteDir` (default: a fresh temporary folder). */
  databaseUrl?: string;
  pgliteDir?: string;
  /** Database schema Ponder writes its tables to (default "omnitensor"). */
  schema?: string;
  port?: number;
  pollingMs?: number;
  logFile?: string;
  timeoutMs?: number;
}

export interface RunningIndexer {
  url: string;
  port: number;
  logFile: string;
  get<T = Record<string, unknown>>(path: string): Promise<T>;
  /** Ponder's /status: the block it has indexed up to. */
  indexedBlock(): Promise<number>;
  waitForBlock(block: number | bigint, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const PONDER_BIN = join(ROOT, "node_modules", "ponder", "dist", "esm", "bin", "ponder.js");

/** Starts `ponder start` on the deployment; resolves once /ready answers 200. */
export async function startIndexer(opts: IndexerOptions): Promise<RunningIndexer> {
  const port = opts.port ?? (await freePort());
  const scratch = opts.databaseUrl || opts.pgliteDir ? undefined : mkdtempSync(join(tmpdir(), "omnit-ix-"));
  const logFile = opts.logFile ?? join(scratch ?? tmpdir(), `ponder-${port}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "a");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PONDER_TELEMETRY_DISABLED: "true",
    OMNITENSOR_DEPLOYMENT: opts.deploymentFile,
    PONDER_RPC_URL: opts.rpcUrl,
    PONDER_POLLING_MS: String(opts.pollingMs ?? 200),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  delete env.DATABASE_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  else env.PONDER_PGLITE_DIR = opts.pgliteDir ?? join(scratch!, "pglite");
  const args = [PONDER_BIN, "--root", "indexer", "start", "--schema", opts.schema ?? "omnitensor"];
  const child = spawn(process.execPath, [...args, "--port", String(port), "--log-format", "json"], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  const onExit = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  };
  process.once("exit", onExit);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= killGroup(child, 5000).finally(() => {
      process.off("exit", onExit);
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }));
  const url = `http://127.0.0.1:${port}`;
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(url + path);
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const indexedBlock = async () => {
    const s = await get<Record<string, { block?: { number: number } }>>("/status");
    return Number(Object.values(s)[0]?.block?.number ?? 0);
  };
  const tail = () => readFileSync(logFile, "utf8").slice(-3000);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ponder exited with code ${child.exitCode}:\n${tail()}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ponder was not ready on ${url} in time:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  const waitForBlock = async (block: number | bigint, timeoutMs = 60_000) => {
    const until = Date.now() + timeoutMs;
    while ((await indexedBlock()) < Number(block)) {
      if (Date.now() > until) throw new Error(`the indexer did not reach block ${block}:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  return { url, port, logFile, get, indexedBlock, waitForBlock, stop };
}
