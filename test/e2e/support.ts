/**
 * Helpers of the end-to-end tests (no tests here; importing has no side effects): bots as
 * separate processes in their own process groups and a TCP proxy that can be cut. The chain,
 * the deployment, the requester (`actor`), `waitFor` and Redis clean-up come from the one devnet
 * harness in test/support/ and are re-exported here for the e2e tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { killGroup, waitFor } from "../support/devnet.ts";

export { actor, rpc as rpcCall, waitFor } from "../support/devnet.ts";
export { wipeRedis } from "../support/redis.ts";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const LOG_DIR = join(ROOT, ".omnitensor", "e2e-logs");

export interface BotProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM to the group, SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** kill -9 of the whole group, at once. */
  kill9(): Promise<void>;
}

/** Starts `omnitensor worker --config <file>` as a separate process in its own process group. */
export function startBot(
  name: string,
  config: Record<string, unknown>,
  env: Record<string, string>,
  /** A TypeScript entry to run instead of the CLI (e.g. a cheating node: test/e2e/cheater-node.ts). */
  script?: string,
): BotProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const cfgFile = join(LOG_DIR, `${name}.json`);
  writeFileSync(cfgFile, JSON.stringify(config, null, 2));
  const logFile = join(LOG_DIR, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    script
      ? ["--import", "tsx", script, "--config", cfgFile]
      : [join(ROOT, "workers", "bin", "omnitensor.mjs"), "worker", "--config", cfgFile],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...env },
    },
  );
  closeSync(fd);
  return {
    name,
    child,
    logFile,
    stop: () => killGroup(child, 8000),
    kill9: async () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        return;
      }
      await exited;
    },
  };
}

/** A TCP proxy to `target` that can be cut (every connection dropped, new ones refused) and restored. */
export class TcpProxy {
  private server?: Server;
  private sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}
  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, "127.0.0.1");
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
    await new Promise<void>((r, j) =>
      this.server!.once("error", j).listen(this.port, "127.0.0.1", () => r()),
    );
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** Waits until every bot's log says it started (each process logs "node started" once it is up). */
export async function waitForBotsStarted(bots: Iterable<BotProcess>, timeoutMs = 120_000): Promise<void> {
  const list = [...bots];
  await waitFor(
    `${list.length} bots started`,
    async () => list.every((b) => readFileSync(b.logFile, "utf8").includes("node started")),
    timeoutMs,
    500,
  );
}
