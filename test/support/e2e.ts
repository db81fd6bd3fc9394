/**
 * The fixture of the end-to-end and node-service tests (no tests here; importing has no side
 * effects): a `hardhat node` with OmniTensor deployed, staked nodes, a funded requester, one
 * registered model, interval mining and a deployment file (in LOG_DIR) for bot processes; bots
 * as separate processes in their own process groups (nodes, inference processes of a fleet); a
 * relay-mode node in this process; a log sink that keeps a node's lines.
 * `stop()` stops what was started through the fixture, even after a failed `start()`: the bots,
 * then the clean-ups given to `onStop` (in that order), the chain, and the Redis keys under the
 * fixture's prefix.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { parseEther, type Hex } from "viem";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  fundAndStake,
  killGroup,
  registerModel,
  ROOT,
  rpc,
  startHardhatNode,
  transferOmnit,
  waitFor,
  type LocalChain,
  type NodeSetup,
} from "./devnet.ts";
import { wipeRedis } from "./redis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { parseNodeConfig, type NodeConfigInput } from "../../workers/src/node/config.ts";
import { startNode } from "../../workers/src/node/start.ts";
import type { RunningRelay } from "../../workers/src/node/relay/start.ts";

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

/** A sink for a node's `logDestination` that keeps each line it writes. */
export function lineSink(): { lines: string[]; sink: Writable } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      cb();
    },
  });
  return { lines, sink };
}

export interface TestNetworkOptions {
  /** Names the deployment file and the bots' config and log files (with this process's pid). */
  name: string;
  /** Redis database and the key prefix wiped in `stop()` (a bot's own prefix is `<prefix>-bot<i>`). Default none. */
  redis?: { db: number; prefix: string };
  /** Nodes funded and staked from the treasury, in this order. Default none. */
  nodes?: NodeSetup[];
  /** Account index of the requester, funded with `requesterOmnit` from the treasury. Default none. */
  requester?: number;
  /** Default 1000 OMNIT. */
  requesterOmnit?: bigint;
  /** The model registered by account `owner`; `path` is the ONNX file the bots run. Default none. */
  model?: { owner: number; sha256: Hex; spec: string; path?: string; uri?: string; royaltyBps?: number };
  /** A block every this many ms once set up (0: automine only). Default 1000. */
  intervalMiningMs?: number;
}

/** One chain, one deployment, a model; bots and clean-ups registered for `stop()`. */
export class TestNetwork {
  chain!: LocalChain;
  d!: Deployment;
  modelId!: Hex;
  /** The deployment as a file (in LOG_DIR), for bot configs (`deploymentFile`). */
  deploymentFile!: string;
  private readonly bots: BotProcess[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  constructor(readonly opts: TestNetworkOptions) {}

  get rpcUrl(): string {
    return this.chain.rpcUrl;
  }

  private get redis(): { db: number; prefix: string } {
    if (!this.opts.redis) throw new Error(`TestNetwork ${this.opts.name}: no redis option`);
    return this.opts.redis;
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:6379/${this.redis.db}`;
  }

  async start(): Promise<this> {
    const { nodes = [], requester, model, intervalMiningMs = 1000 } = this.opts;
    this.chain = await startHardhatNode();
    this.d = await deployOmniTensor(this.rpcUrl);
    await fundAndStake(this.rpcUrl, this.d, nodes);
    if (requester !== undefined) {
      const amount = this.opts.requesterOmnit ?? parseEther("1000");
      await transferOmnit(this.rpcUrl, this.d, [devAddress(requester)], amount);
    }
    if (model)
      this.modelId = await registerModel(this.rpcUrl, this.d, devKey(model.owner), {
        onnxSha256: model.sha256,
        spec: model.spec,
        uri: model.uri,
        royaltyBps: model.royaltyBps,
      });
    // Blocks without traffic, so that seeds (known 2 blocks after the call) appear.
    if (intervalMiningMs > 0) await rpc(this.rpcUrl, "evm_setIntervalMining", [intervalMiningMs]);
    mkdirSync(LOG_DIR, { recursive: true });
    this.deploymentFile = join(LOG_DIR, `deployment-${this.opts.name}-${process.pid}.json`);
    writeFileSync(this.deploymentFile, JSON.stringify(this.d));
    return this;
  }

  /** The config of the bot of account `i` (a compute bot running the model unless `over` says otherwise). */
  botConfig(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      rpcUrl: this.rpcUrl,
      redisUrl: this.redisUrl,
      redisPrefix: `${this.redis.prefix}-bot${i}`,
      roles: ["compute"],
      models: [{ modelId: this.modelId, path: this.opts.model?.path }],
      confirmations: 0,
      pollIntervalMs: 200,
      metrics: { port: -1 },
      deploymentFile: this.deploymentFile,
      logLevel: "debug",
      gas: { replaceAfterMs: 20_000 },
      ...over,
    };
  }

  /** Starts the bot of account `i` (`botConfig(i, over)`, its key in PRIVATE_KEY), stopped in `stop()`. */
  startBot(i: number, over: Record<string, unknown> = {}, script?: string): BotProcess {
    const name = `${this.opts.name}-bot${i}-${process.pid}`;
    return this.track(startBot(name, this.botConfig(i, over), { PRIVATE_KEY: devKey(i) }, script));
  }

  /**
   * Starts, in this process, a relay-mode node (docs/operator.md §11): the node keys of accounts
   * `keys` behind the relayer key of account `relayer`, compute role, the model (its file unless
   * `over.models` says otherwise), the fixture's Redis prefix, its log in LOG_DIR
   * (`<name>-<pid>.log`); stopped in `stop()`. `over`: other config fields (relay, concurrency, only…).
   */
  async startRelay(
    relayer: number,
    keys: number[],
    over: Partial<NodeConfigInput> = {},
  ): Promise<RunningRelay> {
    const config = parseNodeConfig({
      rpcUrl: this.rpcUrl,
      privateKey: devKey(relayer),
      nodeKeys: keys.map(devKey),
      redisUrl: this.redisUrl,
      redisPrefix: this.redis.prefix,
      roles: ["compute"],
      models: [{ modelId: this.modelId, path: this.opts.model?.path }],
      confirmations: 0,
      pollIntervalMs: 200,
      metrics: { port: -1 },
      addresses: this.d.contracts,
      startBlock: this.d.startBlock,
      logLevel: "debug",
      ...over,
    });
    const log = pino.destination({ dest: join(LOG_DIR, `${this.opts.name}-${process.pid}.log`), sync: true });
    const relay = (await startNode(config, {
      logDestination: log,
      connectTimeoutMs: 60_000,
    })) as RunningRelay;
    this.onStop(() => relay.stop());
    return relay;
  }

  /**
   * Starts an inference process of the fleet (docs/operator.md §12: `only: "infer"`, no key, no
   * RPC) on the fixture's Redis prefix, serving the model's file, /health on a free port (logged);
   * `<name>-infer-<label>-<pid>` names its config and log; stopped in `stop()`.
   */
  startInfer(label: string, over: Record<string, unknown> = {}): BotProcess {
    const config = {
      redisUrl: this.redisUrl,
      redisPrefix: this.redis.prefix,
      only: "infer",
      models: [{ modelId: this.modelId, path: this.opts.model?.path }],
      metrics: { port: 0 },
      ...over,
    };
    const env = { PRIVATE_KEY: "", NODE_PRIVATE_KEY: "" }; // an inference process needs no key
    return this.track(startBot(`${this.opts.name}-infer-${label}-${process.pid}`, config, env));
  }

  /** Registers a process started elsewhere to be stopped in `stop()`. */
  track(bot: BotProcess): BotProcess {
    this.bots.push(bot);
    return bot;
  }

  /** Runs `fn` in `stop()`, after the bots and before the chain goes. */
  onStop(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  async stop(): Promise<void> {
    await Promise.all(this.bots.map((b) => b.stop()));
    for (const fn of this.cleanups) await fn();
    await this.chain?.stop();
    if (this.opts.redis) await wipeRedis(this.opts.redis.prefix, this.opts.redis.db);
  }
}

/**
 * A TestNetwork for one node service run in this process: the compute node `node` staked with
 * 20000 OMNIT, the requester with 100 OMNIT, `model` registered by account 9, no interval mining.
 */
export function oneNodeNetwork(
  name: string,
  redis: { db: number; prefix: string },
  node: number,
  requester: number,
  model: { sha256: Hex; specJson: string },
): TestNetwork {
  return new TestNetwork({
    name,
    redis,
    nodes: [{ index: node, roles: 1, stake: parseEther("20000") }],
    requester,
    requesterOmnit: parseEther("100"),
    model: { owner: 9, sha256: model.sha256, spec: model.specJson },
    intervalMiningMs: 0,
  });
}
