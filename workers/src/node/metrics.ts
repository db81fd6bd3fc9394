/**
 * Prometheus metrics of one node (a registry per node, no global default registry) and the
 * small HTTP server that serves /metrics and /health.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { OmniTensorError } from "../protocol/errors.ts";

/** The metrics port is taken: one line naming the port and the config field. */
export class MetricsPortInUseError extends OmniTensorError {
  constructor(
    readonly host: string,
    readonly port: number,
    cause?: unknown,
  ) {
    super(
      `metrics.port ${port}: ${host}:${port} is already in use (another node?); set metrics.port ` +
        `(METRICS_PORT, --metrics-port) to a free port, 0 for any free port, or -1 to turn /metrics and /health off`,
      "METRICS_PORT_IN_USE",
      { cause },
    );
    this.name = "MetricsPortInUseError";
  }
}

export interface NodeMetrics {
  registry: Registry;
  tasksSeen: Counter<"role">;
  committed: Counter<"place">;
  revealed: Counter<string>;
  won: Counter<string>;
  lost: Counter<"reason">;
  slashed: Counter<string>;
  liquidations: Counter<string>;
  skipped: Counter<"reason">;
  seeds: Counter<"outcome" | "kind">;
  txSent: Counter<"fn">;
  txFailed: Counter<"fn">;
  inferenceSeconds: Histogram<"model">;
  createdToCommitSeconds: Histogram<string>;
  queueDepth: Gauge<"queue" | "state">;
  walletBalance: Gauge<string>;
  stakeBalance: Gauge<string>;
  lastBlock: Gauge<string>;
}

type Counters = Pick<
  NodeMetrics,
  "tasksSeen" | "committed" | "revealed" | "won" | "lost" | "slashed" | "liquidations" | "skipped"
>;
type TxCounters = Pick<NodeMetrics, "seeds" | "txSent" | "txFailed">;

function txCounters(r: Registry[]): TxCounters {
  return {
    seeds: new Counter({
      name: "omnitensor_seeds_total",
      help: "Seeds this node's fixSeed stored or re-anchored (lost: older than 256 blocks), by kind",
      labelNames: ["outcome", "kind"],
      registers: r,
    }),
    txSent: new Counter({
      name: "omnitensor_tx_sent_total",
      help: "Transactions sent, by function",
      labelNames: ["fn"],
      registers: r,
    }),
    txFailed: new Counter({
      name: "omnitensor_tx_failed_total",
      help: "Transactions that failed simulation or reverted",
      labelNames: ["fn"],
      registers: r,
    }),
  };
}

function counters(r: Registry[]): Counters {
  return {
    tasksSeen: new Counter({
      name: "omnitensor_tasks_seen_total",
      help: "TaskCreated events seen",
      labelNames: ["role"],
      registers: r,
    }),
    committed: new Counter({
      name: "omnitensor_tasks_committed_total",
      help: "Commitments sent, by place (seat, verifier, juror)",
      labelNames: ["place"],
      registers: r,
    }),
    revealed: new Counter({ name: "omnitensor_tasks_revealed_total", help: "Reveals sent", registers: r }),
    won: new Counter({
      name: "omnitensor_tasks_won_total",
      help: "Tasks where this node revealed the accepted hash",
      registers: r,
    }),
    lost: new Counter({
      name: "omnitensor_tasks_lost_total",
      help: "Tasks lost (seat lost, wrong hash, no seat)",
      labelNames: ["reason"],
      registers: r,
    }),
    slashed: new Counter({
      name: "omnitensor_slashed_total",
      help: "Times this node was liquidated",
      registers: r,
    }),
    liquidations: new Counter({
      name: "omnitensor_liquidations_sent_total",
      help: "Liquidations this node sent",
      registers: r,
    }),
    skipped: new Counter({
      name: "omnitensor_tasks_skipped_total",
      help: "Tasks skipped, by reason",
      labelNames: ["reason"],
      registers: r,
    }),
  };
}

/** Creates the metrics of one node in a fresh registry. */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): NodeMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "omnitensor_" });
  const r = [registry];
  return {
    registry,
    ...counters(r),
    ...txCounters(r),
    inferenceSeconds: new Histogram({
      name: "omnitensor_inference_seconds",
      help: "Model run latency",
      labelNames: ["model"],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: r,
    }),
    createdToCommitSeconds: new Histogram({
      name: "omnitensor_created_to_commit_seconds",
      help: "Wall time from seeing TaskCreated to sending the commit, the model run excluded",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: r,
    }),
    queueDepth: new Gauge({
      name: "omnitensor_queue_depth",
      help: "Jobs per queue and state",
      labelNames: ["queue", "state"],
      registers: r,
    }),
    walletBalance: new Gauge({
      name: "omnitensor_wallet_balance_wei",
      help: "Native balance of the node wallet (wei)",
      registers: r,
    }),
    stakeBalance: new Gauge({
      name: "omnitensor_stake_wei",
      help: "Stake of the node in NodeStaking (OMNIT wei)",
      registers: r,
    }),
    lastBlock: new Gauge({
      name: "omnitensor_last_processed_block",
      help: "Last block the watcher processed",
      registers: r,
    }),
  };
}

/** @deprecated the old name of NodeMetrics. */
export type WorkerMetrics = NodeMetrics;

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (Prometheus text) and GET /health (200 {"ok":true,...} while `health()`
 * says ok, 503 otherwise). Port 0 picks a free port.
 */
export async function startMetricsServer(
  metrics: NodeMetrics,
  opts: { port: number; host: string; health: () => Promise<{ ok: boolean; [k: string]: unknown }> },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.url === "/metrics") {
          res.writeHead(200, { "content-type": metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
        } else if (req.url === "/health") {
          const h = await opts.health();
          res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify(h));
        } else {
          res.writeHead(404).end();
        }
      } catch (e) {
        res.writeHead(500).end(String((e as Error).message));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new MetricsPortInUseError(opts.host, opts.port, e) : e),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
