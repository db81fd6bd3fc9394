/**
 * Wiring only: builds a node (compute and/or validator duties) from a validated config and
 * starts it. Programmatic use (tests, demo):
 *
 *   const n = await startNode(config);   // config: NodeConfig (parseNodeConfig / loadNodeConfig)
 *   ...
 *   await n.stop();                      // in-flight jobs finish; the rest stays queued in Redis
 *
 * Order: /metrics and /health first (they answer 503 "starting: …" until the node can work),
 * then the RPC and Redis (retried with backoff), the key's lock, the models, the stake, the
 * queue workers, and last the watcher.
 */
import { readFile } from "node:fs/promises";
import type pino from "pino";
import type { Address } from "viem";
import { createCommon, type Common } from "./common.ts";
import { redactConfig, resolveConfirmations, type NodeConfig } from "./config.ts";
import { createClients, fetchChainId, type ChainClients } from "../chain/clients.ts";
import { loadDeployment, parseDeployment, type Deployment } from "../chain/deployment.ts";
import { Submitter } from "../chain/submitter.ts";
import { retrying } from "../chain/retry.ts";
import { isNetworkError } from "../chain/errors.ts";
import { watchLogs, type Head, type Watcher } from "../chain/watcher.ts";
import { QueueSet, RescheduleError } from "./queues.ts";
import { STEPS } from "./jobs.ts";
import { startMetricsServer, type MetricsServer } from "./metrics.ts";
import {
  chainReader,
  taskSender,
  type NodeContext,
  type InputTransform,
  type OutputTransform,
  type TaskSender,
} from "./context.ts";
import { startRelayNode, type RelayedNode } from "./relay/start.ts";
import { TASK_EVENTS, handleLogs } from "./events.ts";
import { nodeRecovery, type StateRecovery } from "./recovery.ts";
import { createHandlers } from "./steps/index.ts";
import { connectRedis, redactUrl, redisCheckpoint, type NodeRedis } from "./redis.ts";
import { acquireNodeLock } from "./lock.ts";
import { HeadWatch, NodeHealth, QueueFailures, type HealthReport } from "./health.ts";
import { autoStake, readStake, roleBits, stakeProblem } from "./stake.ts";
import { nodeModels, type SharedModels } from "./fleet/node-models.ts";
import type { EngineHealth } from "../inference/runtime/index.ts";

export interface RunningNode {
  /** The node address. */
  address: Address;
  /** Port of /metrics and /health (undefined when disabled). */
  metricsPort?: number;
  common: Common;
  /** Resolves when the watcher has caught up with the chain once. */
  caughtUp: Promise<void>;
  /** What /health answers now. */
  health(): HealthReport;
  /** Graceful and idempotent: in-flight jobs finish, queued ones stay in Redis for the next start. */
  stop(): Promise<void>;
}
/** @deprecated the old name of RunningNode. */
export type RunningWorker = RunningNode;

export interface StartOptions {
  /** Where log lines go (default stdout). */
  logDestination?: pino.DestinationStream;
  /** Give up on an unreachable RPC/Redis at start after this long (default: retry forever). */
  connectTimeoutMs?: number;
  /** Replaces each computed output (tests and the demo make a cheating node with it; never in production). */
  transformOutput?: OutputTransform;
  /** Replaces each task input before the model runs (tests and the demo: a cheater with another seed). */
  transformInput?: InputTransform;
  /** What /health answers instead of this node's own report when it returns one (relay mode: every key's). */
  healthReport?: () => HealthReport | undefined;
  /** Relay mode (relay/start.ts): the sender of the node's transactions, given its own. */
  taskSender?: (own: TaskSender, node: RelayedNode) => TaskSender;
  /** Relay mode: the models every key's node shares (loaded by the first one, closed by the relay). */
  sharedModels?: SharedModels;
}

/** The chain and Redis, once reached. */
interface Link {
  clients: ChainClients;
  deployment: Deployment;
  me: Address;
  store: NodeRedis;
}

/** The chain clock as last polled (jobs compare deadlines with it). */
interface Clock {
  time: bigint;
  number: bigint;
}

/** Builds and starts a node. Throws (with a clear message) on a bad deployment, a taken key or port, or a startup timeout. */
export async function startNode(config: NodeConfig, opts: StartOptions = {}): Promise<RunningNode> {
  if (config.nodeKeys?.length && !opts.taskSender) return startRelayNode(config, opts, startNode);
  const common = createCommon(config, { destination: opts.logDestination });
  const { logger, shutdown } = common;
  const health = new NodeHealth();
  const deadline =
    opts.connectTimeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.connectTimeoutMs;
  logger.info({ config: redactConfig(config) }, "starting node");
  try {
    const server = await serveMetrics(common, health, opts);
    const link = await connect(common, health, deadline);
    const clock: Clock = { time: 0n, number: 0n };
    const ctx = await assemble(common, link, clock, health, opts);
    const watcher = await run(ctx, clock, health);
    health.set("start", undefined);
    logger.info({ roles: config.roles, models: [...ctx.models.keys()] }, "node started");
    return {
      address: ctx.me,
      metricsPort: server?.port,
      common,
      caughtUp: watcher.caughtUp,
      health: () => health.report(),
      stop: () => shutdown.stop(),
    };
  } catch (e) {
    await shutdown.stop("start failed");
    throw e;
  }
}

/** @deprecated the old name of startNode. */
export const startWorker = startNode;

/** /metrics and /health, before any RPC call (a port in use fails here, before anything runs). */
async function serveMetrics(
  common: Common,
  health: NodeHealth,
  opts: StartOptions,
): Promise<MetricsServer | undefined> {
  const { config, logger, shutdown } = common;
  health.set("start", "starting");
  if (config.metrics.port < 0) return undefined;
  const server = await startMetricsServer(common.metrics, {
    port: config.metrics.port,
    host: config.metrics.host,
    health: async () => opts.healthReport?.() ?? health.report(),
  });
  shutdown.onStop("metrics", () => server.close());
  logger.info({ port: server.port }, "metrics on /metrics, health on /health");
  return server;
}

async function resolveDeployment(config: NodeConfig, chainId: number): Promise<Deployment> {
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

/** The RPC, Redis (each retried until `deadline`), the deployment, the clients and the key's lock. */
async function connect(common: Common, health: NodeHealth, deadline: number): Promise<Link> {
  const { config, logger, shutdown } = common;
  const rpc = `RPC ${config.rpcUrl}`;
  health.set("start", `starting: waiting for the ${rpc}`);
  const chainId = await retrying(
    rpc,
    { log: logger, signal: shutdown.signal, deadline, onFailure: (m) => health.set("rpc", m) },
    () => fetchChainId(config.rpcUrl),
  );
  health.set("rpc", undefined);
  const redisName = `Redis ${redactUrl(config.redisUrl)}`;
  health.set("start", `starting: waiting for ${redisName}`);
  const store = await connectRedis(common, { deadline, onFailure: (m) => health.set("redis", m) });
  health.set("redis", undefined);
  health.check("redis", () => (store.redis.status === "ready" ? undefined : `${redisName} is unreachable`));
  health.detail("redis", () => (store.redis.status === "ready" ? "up" : "down"));
  health.set("start", "starting: deployment, key lock, models, stake");
  const deployment = await resolveDeployment(config, chainId);
  const clients = createClients({ rpcUrl: config.rpcUrl, chainId, privateKey: config.privateKey });
  const me = clients.account.address;
  health.detail("node", () => me);
  const genesis = await clients.publicClient
    .getBlock({ blockNumber: 0n })
    .then((b) => b.hash ?? "")
    .catch(() => "");
  const lock = await acquireNodeLock(store.redis, { chainId, genesis, node: me, logger });
  shutdown.onStop("lock", () => lock.release());
  health.check("lock", () => lock.lost());
  logger.info({ node: me, chainId, taskManager: deployment.contracts.TaskManager }, "connected");
  return { clients, deployment, me, store };
}

/** /health: the model thread's state; unhealthy while it is being replaced or once it cannot be. */
function watchThreads(health: NodeHealth, threads: () => EngineHealth): void {
  health.detail("threads", threads);
  health.check("threads", () => {
    const t = threads();
    return t.live > 0 ? undefined : (t.unusable ?? "the model thread died and is being replaced");
  });
}

/** The submitter, the models, the queues and the context the steps see. */
async function assemble(
  common: Common,
  link: Link,
  clock: Clock,
  health: NodeHealth,
  opts: StartOptions,
): Promise<NodeContext> {
  const { config, logger, metrics: m } = common;
  const { clients, deployment, me } = link;
  const submitter = new Submitter({
    clients,
    gas: config.gas,
    logger,
    omnitPerEth: config.omnitPerEth,
    profitFactor: config.profitFactor,
    onSent: (fn) => m.txSent.inc({ fn }),
    onFailed: (fn) => m.txFailed.inc({ fn }),
  });
  // Models run in a worker thread, or in the fleet's inference processes (fleet/node-models.ts);
  // in relay mode, the keys' nodes share one engine and its models.
  const { models, refused, threads } = await nodeModels({ common, ...link }, opts.sharedModels);
  health.detail("models", () => models.size);
  if (threads) watchThreads(health, threads);
  if (config.roles.includes("compute") && models.size === 0) {
    logger.error("compute role without any usable model: no task will be taken");
    const why = [...refused.values()].join("; ");
    health.set("models", `compute role without a model that passed its hash check${why ? ` (${why})` : ""}`);
  }
  const prefix = config.redisPrefix;
  const chainId = deployment.chainId;
  const queues = new QueueSet({
    connection: link.store.connection,
    prefix: `${prefix}-q-${me.toLowerCase()}`,
    chainNow: () => clock.time || undefined,
    onConnectionError: (e, source) => link.store.outage.error(e, source),
  });
  const tm = deployment.contracts.TaskManager;
  const domain = { chainId, verifyingContract: tm };
  const chain = chainReader(clients.publicClient, tm);
  const own = taskSender(submitter, tm);
  return {
    chain,
    // Relay mode replaces the sender (relay/start.ts); single-key mode sends with its own key.
    tx: opts.taskSender?.(own, { me, chain, chainNow: () => clock.time, domain }) ?? own,
    domain,
    transformOutput: opts.transformOutput,
    transformInput: opts.transformInput,
    common,
    clients,
    submitter,
    deployment,
    queues,
    redis: link.store.redis,
    me,
    models,
    key: (name) => `${prefix}:${chainId}:${me.toLowerCase()}:${name}`,
    chainNow: () => clock.time,
    headNumber: () => clock.number,
  };
}

/** Stakes if configured, checks the stake, starts the queue workers, then the watcher. */
async function run(ctx: NodeContext, clock: Clock, health: NodeHealth): Promise<Watcher> {
  const { common } = ctx;
  await autoStake(ctx);
  await refreshStatus(ctx, health).catch((e: Error) =>
    health.set("stake", `stake not read yet: ${e.message.split("\n")[0]}`),
  );
  // Latest chain time before any job runs (jobs compare deadlines with it).
  const latest = await ctx.clients.publicClient.getBlock({ blockTag: "latest" });
  clock.time = latest.timestamp;
  clock.number = latest.number;
  const failures = new QueueFailures();
  health.check("queues", () => failures.check());
  const handlers = failures.wrap(createHandlers(ctx), (e) => e instanceof RescheduleError);
  ctx.queues.startWorkers(common, handlers, common.config.concurrency);
  common.shutdown.onStop("queues", () => ctx.queues.close());
  const recovery = nodeRecovery(ctx, ctx.key("checkpoint"));
  await recovery.init(); // an empty Redis (first start, or a new one): scan from the start block
  return startWatcher(ctx, clock, health, recovery);
}

/** The checkpointed log watcher; each new head moves the clock, promotes due jobs and (every 5 s) the status. */
function startWatcher(ctx: NodeContext, clock: Clock, health: NodeHealth, recovery: StateRecovery): Watcher {
  const { config, logger, metrics: m, shutdown } = ctx.common;
  const { confirmations, warning } = resolveConfirmations(ctx.deployment.chainId, config.confirmations);
  if (warning) logger.warn(warning);
  const heads = new HeadWatch(config.staleAfterMs ?? Math.max(10 * config.pollIntervalMs, 60_000));
  let failing: unknown; // the watcher's first error while polling fails
  let lastStatus = Date.now();
  health.check("watcher", () => watcherProblem(failing, config.rpcUrl, ctx.redis.status === "ready"));
  health.check("head", () => heads.check());
  health.detail("rpc", () => (failing !== undefined && isNetworkError(failing) ? "down" : "up"));
  const onHead = async (head: Head) => {
    clock.time = head.timestamp;
    clock.number = head.number;
    heads.seen(head.number);
    m.lastBlock.set(Number(head.safe));
    await recovery.check(); // Redis state lost (marker gone): the next poll scans from the start block
    await ctx.queues.promoteDue(head.timestamp);
    if (Date.now() - lastStatus > 5000) {
      lastStatus = Date.now();
      await refreshStatus(ctx, health).catch(() => undefined);
    }
  };
  const watcher = watchLogs({
    client: ctx.clients.publicClient,
    address: [ctx.deployment.contracts.TaskManager, ctx.deployment.contracts.NodeStaking],
    events: TASK_EVENTS,
    fromBlock: BigInt(config.startBlock ?? ctx.deployment.startBlock),
    confirmations,
    pollIntervalMs: config.pollIntervalMs,
    blockRange: config.blockRange,
    checkpoint: redisCheckpoint(ctx.redis, ctx.key("checkpoint")),
    logger,
    onLogs: (logs) => handleLogs(ctx, logs),
    onRpcState: (down, e) => (failing = down ? (e ?? new Error("polling fails")) : undefined),
    onHead,
  });
  health.detail("lastBlock", () => watcher.head()?.safe.toString() ?? null);
  health.detail("confirmations", () => confirmations);
  shutdown.onStop("watcher", () => watcher.stop());
  return watcher;
}

/** Why the watcher's polling fails, for /health (a Redis outage is reported by the Redis check alone). */
function watcherProblem(failing: unknown, rpcUrl: string, redisUp: boolean): string | undefined {
  if (failing === undefined || !redisUp) return undefined;
  if (isNetworkError(failing)) return `RPC ${rpcUrl} is unreachable (retrying)`;
  return `the watcher cannot poll (retrying): ${String((failing as Error)?.message ?? failing).split("\n")[0]}`;
}

/** Wallet, stake and queue gauges; the stake's verdict for /health. */
async function refreshStatus(ctx: NodeContext, health: NodeHealth): Promise<void> {
  const pc = ctx.clients.publicClient;
  const m = ctx.common.metrics;
  const [bal, stake] = await Promise.all([
    pc.getBalance({ address: ctx.me }),
    readStake(pc, ctx.deployment.contracts.NodeStaking, ctx.me),
  ]);
  m.walletBalance.set(Number(bal));
  m.stakeBalance.set(Number(stake.stake));
  health.set("stake", stakeProblem(stake, roleBits(ctx.common.config.roles)));
  const depth = await ctx.queues.depth();
  for (const s of STEPS)
    for (const [state, n] of Object.entries(depth[s])) m.queueDepth.set({ queue: s, state }, n);
}
