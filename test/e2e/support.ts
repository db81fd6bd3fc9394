/**
 * Helpers of the end-to-end tests (no tests here; importing has no side effects): bots as
 * separate processes in their own process groups, a TCP proxy that can be cut, a requester.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  toHex,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor } from "../../workers/src/chain/clients.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { modelRegistryAbi, omniTokenAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import { killGroup } from "../helpers/chain.ts";

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
): BotProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const cfgFile = join(LOG_DIR, `${name}.json`);
  writeFileSync(cfgFile, JSON.stringify(config, null, 2));
  const logFile = join(LOG_DIR, `${name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [join(ROOT, "workers", "bin", "omnitensor.mjs"), "worker", "--config", cfgFile],
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

/** Deletes every Redis key under `prefix` in `db`. */
export async function wipeRedis(prefix: string, db: number): Promise<number> {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, db });
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

/** A requester (or any account) talking to the deployment. */
export function actor(rpcUrl: string, d: Deployment, key: Hex) {
  const chain = chainFor(d.chainId, rpcUrl);
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
  const walletClient = createWalletClient({
    chain,
    transport: http(rpcUrl),
    account: privateKeyToAccount(key),
  });
  const address = walletClient.account.address;
  async function send(to: Address, abi: Abi, functionName: string, args: readonly unknown[]) {
    const { request } = await publicClient.simulateContract({
      address: to,
      abi,
      functionName,
      args,
      account: walletClient.account,
    } as Parameters<typeof publicClient.simulateContract>[0]);
    const hash = await walletClient.writeContract(
      request as Parameters<typeof walletClient.writeContract>[0],
    );
    const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`${functionName} reverted`);
    return r;
  }
  const read = <T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
    publicClient.readContract({ address: to, abi, functionName, args }) as Promise<T>;
  return {
    address,
    publicClient,
    send,
    read,
    tm: <T>(fn: string, args: readonly unknown[] = []) =>
      read<T>(d.contracts.TaskManager, taskManagerAbi as Abi, fn, args),
    balanceOf: (a: Address) => read<bigint>(d.contracts.OmniToken, omniTokenAbi as Abi, "balanceOf", [a]),
    async registerModel(onnxSha256: Hex, spec: string): Promise<Hex> {
      await send(d.contracts.ModelRegistry, modelRegistryAbi as Abi, "registerModel", [
        onnxSha256,
        "file://model.onnx",
        spec,
        0,
      ]);
      return read<Hex>(d.contracts.ModelRegistry, modelRegistryAbi as Abi, "modelIdOf", [onnxSha256, spec]);
    },
    async createTask(req: {
      modelId: Hex;
      input: string;
      reward: bigint;
      redundancy: number;
      resultKey: Hex;
    }): Promise<bigint> {
      await send(d.contracts.OmniToken, omniTokenAbi as Abi, "approve", [
        d.contracts.TaskManager,
        req.reward * 3n,
      ]);
      const r = await send(d.contracts.TaskManager, taskManagerAbi as Abi, "createTask", [
        {
          modelId: req.modelId,
          input: toHex(new TextEncoder().encode(req.input)),
          inputURI: "",
          inputHash: keccak256(new TextEncoder().encode(req.input)),
          reward: req.reward,
          redundancy: req.redundancy,
          resultKey: req.resultKey,
          callback: "0x0000000000000000000000000000000000000000",
          callbackGasLimit: 0,
          disputer: "0x0000000000000000000000000000000000000000",
        },
      ]);
      void r;
      return read<bigint>(d.contracts.TaskManager, taskManagerAbi as Abi, "taskCount");
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until every bot's log says it started (each process logs "worker started" once it is up). */
export async function waitForBotsStarted(bots: Iterable<BotProcess>, timeoutMs = 120_000): Promise<void> {
  const list = [...bots];
  await waitFor(
    `${list.length} bots started`,
    async () => list.every((b) => readFileSync(b.logFile, "utf8").includes("worker started")),
    timeoutMs,
    500,
  );
}

export async function rpcCall(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await r.json()) as { result: unknown }).result;
}
