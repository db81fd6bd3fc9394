/**
 * Relay mode (docs/operator.md "Relay mode"): one process holds several node keys (NODE_KEYS or
 * NODE_KEYS_FILE) and one relayer key (PRIVATE_KEY) that pays the gas. Each node key runs as a
 * node of its own (its Redis lock, queues and watcher, as in single-key mode), and its
 * transactions go through relaySender: its commitments, reveals and claims into the relayer's
 * batches. The keys share one inference engine and one copy of each model (loaded by the first
 * key's node, closed after every key's node stopped), and one run per distinct input
 * (fleet/node-models.ts SharedModels, run-memo.ts). /metrics and /health are served by the first
 * key's node (the others have none).
 */
import type { Address, Hex } from "viem";
import { createCommon, type Common } from "../common.ts";
import type { NodeConfig } from "../config.ts";
import { chainReader, taskSender, type TaskSender, type ChainReader } from "../context.ts";
import type { RunningNode, StartOptions } from "../start.ts";
import { createClients } from "../../chain/clients.ts";
import { Submitter } from "../../chain/submitter.ts";
import { Relayer } from "./relayer.ts";
import { relaySender } from "./sender.ts";
import { startRelayServer } from "./http.ts";
import type { HealthReport } from "../health.ts";
import { SharedModels } from "../fleet/node-models.ts";

/** What start.ts tells relay mode about one node key's node. */
export interface RelayedNode {
  me: Address;
  chain: ChainReader;
  chainNow(): bigint;
  domain: { chainId: number; verifyingContract: Address };
}

/** A node started by relay mode: the running node and its relayer (tests read the relayer's stats). */
export interface RunningRelay extends RunningNode {
  /** The node keys' nodes, in the order of nodeKeys. */
  nodes: RunningNode[];
  /** Set once the first node has connected (the relayer needs the chain id and the TaskManager). */
  relayer(): Relayer | undefined;
  /** Port of the door where other nodes post their entries (relay.port; undefined when off). */
  relayPort?: number;
  /** The models the keys share (one engine: `engines` is 1 once loaded, 0 with `only: "submit"`). */
  models: SharedModels;
}

/** The relayer, made once the first node knows the chain and the TaskManager. */
class RelayHub {
  relayer?: Relayer;
  chain?: ChainReader;
  private relayerTx?: TaskSender;

  constructor(
    private readonly config: NodeConfig,
    private readonly common: ReturnType<typeof createCommon>,
    /** The metrics that /metrics serves (the first key's node's), once it runs. */
    private readonly served: () => Common["metrics"] | undefined,
  ) {}

  private relayerFor(domain: RelayedNode["domain"]): { relayer: Relayer; relayerTx: TaskSender } {
    if (!this.relayer || !this.relayerTx) {
      const { config, common } = this;
      const clients = createClients({
        rpcUrl: config.rpcUrl,
        chainId: domain.chainId,
        privateKey: config.privateKey,
      });
      const submitter = new Submitter({ clients, gas: config.gas, logger: common.logger });
      const policy = {
        batchSize: config.relay.batchSize,
        maxDelayMs: config.relay.maxDelayMs,
        marginS: BigInt(config.relay.blockTimeS) * BigInt(config.relay.safetyBlocks),
      };
      this.relayer = new Relayer({
        submitter,
        publicClient: clients.publicClient,
        taskManager: domain.verifyingContract,
        policy,
        logger: common.logger,
        pollIntervalMs: config.pollIntervalMs,
        onBatch: (b) => (this.served() ?? common.metrics).txSent.inc({ fn: b.fn }),
        profit: { omnitPerEth: config.omnitPerEth, profitFactor: config.profitFactor },
      });
      this.relayer.start();
      this.relayerTx = singleFlight(taskSender(submitter, domain.verifyingContract));
      this.chain = chainReader(clients.publicClient, domain.verifyingContract);
      common.logger.info(
        { relayer: submitter.account, ...policy, marginS: policy.marginS.toString() },
        "relayer ready",
      );
    }
    return { relayer: this.relayer, relayerTx: this.relayerTx };
  }

  sender(key: Hex, own: TaskSender, node: RelayedNode): TaskSender {
    const { relayer, relayerTx } = this.relayerFor(node.domain);
    return relaySender({ relayer, relayerTx, own, key, withdraw: this.config.relay.withdraw, ...node });
  }
}

/**
 * The relayer's sender of permissionless calls (fixSeed, drawVerifiers, finalize, deliver): the
 * same call asked for by several keys at once is sent once, and each asker gets its outcome.
 */
function singleFlight(tx: TaskSender): TaskSender {
  const inFlight = new Map<string, Promise<void>>();
  return {
    send(fn, args, opts) {
      const key = `${fn}(${args.map((a) => String(a)).join(",")})`;
      let p = inFlight.get(key);
      if (!p) {
        p = tx.send(fn, args, opts).finally(() => inFlight.delete(key));
        inFlight.set(key, p);
      }
      return p;
    },
  };
}

/** The configuration of one node key's node: its key, no relay fields, /metrics only on the first. */
function keyConfig(config: NodeConfig, key: Hex, i: number): NodeConfig {
  return {
    ...config,
    privateKey: key,
    nodeKeys: undefined,
    nodeKeysFile: undefined,
    metrics: i === 0 ? config.metrics : { ...config.metrics, port: -1 },
  };
}

/** Every node's health in one report: ok when all are, each reason prefixed with its node. */
function joinHealth(nodes: RunningNode[]): HealthReport {
  const reports = nodes.map((n) => ({ node: n.address, report: n.health() }));
  return {
    ok: reports.every((r) => r.report.ok),
    reasons: reports.flatMap((r) => r.report.reasons.map((why) => `${r.node}: ${why}`)),
    nodes: reports.map((r) => ({ ...r.report, node: r.node })),
  };
}

/** Starts one node per key behind one relayer (start.ts calls this when nodeKeys is set). */
export async function startRelayNode(
  config: NodeConfig,
  opts: StartOptions,
  startOne: (c: NodeConfig, o: StartOptions) => Promise<RunningNode>,
): Promise<RunningRelay> {
  const common = createCommon(config, { destination: opts.logDestination, bindings: { relay: true } });
  const nodes: RunningNode[] = [];
  const hub = new RelayHub(config, common, () => nodes[0]?.common.metrics);
  const models = new SharedModels();
  // Entries still waiting are rejected first (their jobs retry at the next start), then the nodes
  // stop, then the shared models (their engine) once no key's job can run them.
  const stopAll = async () => {
    await hub.relayer?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    await models.close(common.logger);
  };
  common.shutdown.onStop("relay", stopAll);
  try {
    for (const [i, key] of (config.nodeKeys ?? []).entries())
      nodes.push(
        await startOne(keyConfig(config, key, i), {
          ...opts,
          taskSender: (own, n) => hub.sender(key, own, n),
          sharedModels: models,
          // The first key's /health answers for every key once all have started.
          healthReport: () => (nodes.length === config.nodeKeys!.length ? joinHealth(nodes) : undefined),
        }),
      );
  } catch (e) {
    await common.shutdown.stop("start failed");
    throw e;
  }
  const relayer = hub.relayer;
  const door = await openDoor(config, common, hub);
  common.logger.info({ relayer: relayer?.address, nodes: nodes.map((n) => n.address) }, "relay mode started");
  return {
    address: relayer?.address ?? nodes[0]!.address,
    metricsPort: nodes[0]?.metricsPort,
    common,
    caughtUp: Promise.all(nodes.map((n) => n.caughtUp)).then(() => undefined),
    health: () => joinHealth(nodes),
    stop: () => common.shutdown.stop(),
    nodes,
    relayer: () => hub.relayer,
    relayPort: door,
    models,
  };
}

/** The HTTP door for other nodes' entries when relay.port is set; its port. */
async function openDoor(config: NodeConfig, common: ReturnType<typeof createCommon>, hub: RelayHub) {
  const { port, host, allow, maxEntriesPerMinute } = config.relay;
  if (port < 0 || !hub.relayer || !hub.chain) return undefined;
  try {
    const door = await startRelayServer({
      relayer: hub.relayer,
      chain: hub.chain,
      port,
      host,
      allow,
      maxEntriesPerMinute,
      logger: common.logger,
    });
    // Requests still waiting for a batch are cut: their entries are rejected by the relayer's stop.
    common.shutdown.onStop("relay-http", () => {
      door.server.close();
      door.server.closeAllConnections();
    });
    return door.port;
  } catch (e) {
    await common.shutdown.stop("start failed");
    throw e;
  }
}
