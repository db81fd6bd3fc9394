/**
 * Wiring only: builds a worker (compute and/or verifier roles) from a validated config and
 * starts it. Programmatic use (tests, demo):
 *
 *   const w = await startWorker(config);   // config: WorkerConfig (parseWorkerConfig / loadWorkerConfig)
 *   ...
 *   await w.stop();                         // in-flight jobs finish; the rest stays queued in Redis
 */
import { Redis } from "ioredis";
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type pino from "pino";
import type { Address, Hex } from "viem";
import { backoffMs, createCommon, sleep, type Common } from "./common.ts";
import { redactConfig, redisOptions, type WorkerConfig } from "./config.ts";
import { createClients, fetchChainId } from "../chain/clients.ts";
import { loadDeployment, parseDeployment, type Deployment } from "../chain/deployment.ts";
import { Submitter } from "../chain/submitter.ts";
import { redisCheckpoint } from "../chain/checkpoint.ts";
import { watchLogs, type Watcher } from "../chain/watcher.ts";
import { modelRegistryAbi, nodeStakingAbi, omniTokenAbi } from "../chain/abis.ts";
import { QueueSet } from "./queues.ts";
import { STEPS } from "./jobs.ts";
import { startMetricsServer, type MetricsServer } from "./metrics.ts";
import { NS, type BotContext } from "./context.ts";
import { TASK_EVENTS, handleLogs } from "./events.ts";
import { createHandlers } from "./steps/index.ts";
import { InferenceEngine, type LoadedModel } from "../inference/runtime/index.ts";
import { ModelHashMismatchError } from "../inference/index.ts";

export interface RunningWorker {
  /** The node address. */
  address: Address;
  /** Port of /metrics and /health (undefined when disabled). */
  metricsPort?: number;
  common: Common;
  /** Resolves when the watcher has caught up with the chain once. */
  caughtUp: Promise<void>;
  /** Graceful and idempotent: in-flight jobs finish, queued ones stay in Redis for the next start. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where log lines go (default stdout). */
  logDestination?: pino.DestinationStream;
  /** Give up on an unreachable RPC/Redis at start after this long (default: retry forever). */
  connectTimeoutMs?: number;
}

async function retrying<T>(
  what: string,
  log: Logger,
  signal: AbortSignal,
  deadline: number,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (signal.aborted) throw e;
      const msg = (e as Error).message?.split("\n")[0];
      if (attempt === 0) log.error({ err: msg }, `${what} is unreachable; retrying with backoff`);
      if (Date.now() > deadline) throw new Error(`${what} is unreachable: ${msg}`);
      await sleep(backoffMs(attempt, 500, 15_000), signal);
    }
  }
}

async function resolveDeployment(config: WorkerConfig, chainId: number): Promise<Deployment> {
  if (config.addresses)
    return parseDeployment(
      { chainId, startBlock: config.startBlock ?? 0, contracts: config.addresses },
      "config.addresses",
    );
  if (config.deploymentFile) {
    const d = parseDeployment(
      JSON.parse(await readFile(config.deploymentFile, "utf8")),
      config.deploymentFile,
    );
    if (d.chainId !== chainId)
      throw new Error(`deploymentFile: chainId ${d.chainId} but the RPC is chain ${chainId}`);
    return d;
  }
  return loadDeployment(chainId);
}

async function loadModels(
  ctx: { common: Common; clients: ReturnType<typeof createClients>; deployment: Deployment },
  engine: InferenceEngine,
): Promise<Map<Hex, LoadedModel>> {
  const models = new Map<Hex, LoadedModel>();
  for (const m of ctx.common.config.models) {
    const log = ctx.common.logger.child({ modelId: m.modelId });
    try {
      const model = (await ctx.clients.publicClient.readContract({
        address: ctx.deployment.contracts.ModelRegistry,
        abi: modelRegistryAbi,
        functionName: "getModel",
        args: [m.modelId],
      })) as { onnxSha256: Hex; spec: string };
      const loaded = await engine.load(model.spec, { path: m.path, sha256: model.onnxSha256 });
      models.set(m.modelId, loaded);
      log.info({ path: m.path, provider: loaded.provider }, "model loaded and its hash checked");
    } catch (e) {
      if (e instanceof ModelHashMismatchError)
        log.error(
          { path: m.path, err: e.message },
          "model file fails its hash check against ModelRegistry; not served",
        );
      else
        log.error(
          { path: m.path, err: (e as Error).message.split("\n")[0] },
          "model cannot be loaded; not served",
        );
    }
  }
  return models;
}

/** Builds and starts a worker. Throws (with a clear message) on a bad deployment or a startup timeout. */
export async function startWorker(config: WorkerConfig, opts: StartOptions = {}): Promise<RunningWorker> {
  const common = createCommon(config, { destination: opts.logDestination });
  const { logger, shutdown } = common;
  const deadline =
    opts.connectTimeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.connectTimeoutMs;
  logger.info({ config: redactConfig(config) }, "starting worker");
  try {
    const chainId = await retrying(`RPC ${config.rpcUrl}`, logger, shutdown.signal, deadline, () =>
      fetchChainId(config.rpcUrl),
    );
    const redisConn = { ...redisOptions(config.redisUrl), maxRetriesPerRequest: null };
    const redis = new Redis({
      ...redisConn,
      lazyConnect: true,
      retryStrategy: (n) => backoffMs(n, 200, 5000),
    });
    let redisDownLogged = false;
    redis.on("error", (e) => {
      if (!redisDownLogged) logger.error({ err: e.message }, "Redis is unreachable; retrying with backoff");
      redisDownLogged = true;
    });
    redis.on("ready", () => {
      if (redisDownLogged) logger.info("Redis reachable again");
      redisDownLogged = false;
    });
    shutdown.onStop("redis", async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
    await retrying(`Redis ${config.redisUrl}`, logger, shutdown.signal, deadline, async () => {
      if (redis.status === "wait" || redis.status === "end") await redis.connect();
      await redis.ping();
    });

    const deployment = await resolveDeployment(config, chainId);
    const clients = createClients({ rpcUrl: config.rpcUrl, chainId, privateKey: config.privateKey });
    const me = clients.account.address;
    logger.info({ node: me, chainId, taskManager: deployment.contracts.TaskManager }, "connected");
    const m = common.metrics;
    const submitter = new Submitter({
      clients,
      gas: config.gas,
      logger,
      omnitPerEth: config.omnitPerEth,
      profitFactor: config.profitFactor,
      onSent: (fn) => m.txSent.inc({ fn }),
      onFailed: (fn) => m.txFailed.inc({ fn }),
    });

    const engine = new InferenceEngine({ threads: 1 });
    shutdown.onStop("inference", () => engine.close());
    const models = await loadModels({ common, clients, deployment }, engine);
    if (config.roles.includes("compute") && models.size === 0)
      logger.error("compute role without any usable model: no task will be taken");

    let chainNow = 0n;
    let headNumber = 0n;
    const prefix = config.redisPrefix;
    const queues = new QueueSet({
      connection: redisConn,
      prefix: `${prefix}-q-${me.toLowerCase()}`,
      chainNow: () => chainNow || undefined,
    });
    const ctx: BotContext = {
      common,
      clients,
      submitter,
      deployment,
      queues,
      redis,
      me,
      models,
      key: (name) => `${prefix}:${chainId}:${me.toLowerCase()}:${name}`,
      chainNow: () => chainNow,
      headNumber: () => headNumber,
    };

    await autoStake(ctx);

    // Latest chain time before any job runs (jobs compare deadlines with it).
    const latest = await clients.publicClient.getBlock({ blockTag: "latest" });
    chainNow = latest.timestamp;
    headNumber = latest.number;
    queues.startWorkers(common, createHandlers(ctx), config.concurrency);
    shutdown.onStop("queues", () => queues.close());

    let rpcDown = false;
    let lastGauges = 0;
    const watcher: Watcher = watchLogs({
      client: clients.publicClient,
      address: [deployment.contracts.TaskManager, deployment.contracts.NodeStaking],
      events: TASK_EVENTS,
      fromBlock: BigInt(config.startBlock ?? deployment.startBlock),
      confirmations: config.confirmations,
      pollIntervalMs: config.pollIntervalMs,
      blockRange: config.blockRange,
      checkpoint: redisCheckpoint(redis, ctx.key("checkpoint")),
      logger,
      onLogs: (logs) => handleLogs(ctx, logs),
      onRpcState: (down) => (rpcDown = down),
      onHead: async (head) => {
        chainNow = head.timestamp;
        headNumber = head.number;
        m.lastBlock.set(Number(head.safe));
        await queues.promoteDue(head.timestamp);
        if (Date.now() - lastGauges > 5000) {
          lastGauges = Date.now();
          await refreshGauges(ctx).catch(() => undefined);
        }
      },
    });
    shutdown.onStop("watcher", () => watcher.stop());

    let server: MetricsServer | undefined;
    if (config.metrics.port >= 0) {
      server = await startMetricsServer(m, {
        port: config.metrics.port,
        host: config.metrics.host,
        health: async () => {
          const redisOk = redis.status === "ready";
          return {
            ok: !rpcDown && redisOk,
            node: me,
            rpc: rpcDown ? "down" : "up",
            redis: redisOk ? "up" : "down",
            lastBlock: watcher.head()?.safe.toString() ?? null,
            models: models.size,
          };
        },
      });
      shutdown.onStop("metrics", () => server!.close());
      logger.info({ port: server.port }, "metrics on /metrics, health on /health");
    }
    logger.info({ roles: config.roles, models: [...models.keys()] }, "worker started");
    return {
      address: me,
      metricsPort: server?.port,
      common,
      caughtUp: watcher.caughtUp,
      stop: () => shutdown.stop(),
    };
  } catch (e) {
    await shutdown.stop("start failed");
    throw e;
  }
}

async function refreshGauges(ctx: BotContext): Promise<void> {
  const pc = ctx.clients.publicClient;
  const [bal, stake] = await Promise.all([
    pc.getBalance({ address: ctx.me }),
    pc.readContract({
      address: ctx.deployment.contracts.NodeStaking,
      abi: nodeStakingAbi,
      functionName: "stakeOf",
      args: [ctx.me],
    }) as Promise<bigint>,
  ]);
  ctx.common.metrics.walletBalance.set(Number(bal));
  ctx.common.metrics.stakeBalance.set(Number(stake));
  const depth = await ctx.queues.depth();
  for (const s of STEPS)
    for (const [state, n] of Object.entries(depth[s]))
      ctx.common.metrics.queueDepth.set({ queue: s, state }, n);
}

/** Tops the stake up to `autoStake` (with the configured roles) when it is below. */
async function autoStake(ctx: BotContext): Promise<void> {
  const want = ctx.common.config.autoStake;
  if (want === 0n) return;
  const pc = ctx.clients.publicClient;
  const c = ctx.deployment.contracts;
  const roles =
    (ctx.common.config.roles.includes("compute") ? 1 : 0) |
    (ctx.common.config.roles.includes("verifier") ? 2 : 0);
  const have = (await pc.readContract({
    address: c.NodeStaking,
    abi: NS,
    functionName: "stakeOf",
    args: [ctx.me],
  })) as bigint;
  const curRoles = Number(
    await pc.readContract({ address: c.NodeStaking, abi: NS, functionName: "rolesOf", args: [ctx.me] }),
  );
  if (have >= want && curRoles === roles) return;
  const amount = have >= want ? 0n : want - have;
  if (amount > 0n)
    await ctx.submitter.send({
      address: c.OmniToken,
      abi: omniTokenAbi,
      functionName: "approve",
      args: [c.NodeStaking, amount],
    });
  await ctx.submitter.send({
    address: c.NodeStaking,
    abi: NS,
    functionName: "stake",
    args: [amount, roles, "omnitensor-worker"],
  });
  ctx.common.logger.info({ stake: want.toString(), roles }, "stake topped up");
}
