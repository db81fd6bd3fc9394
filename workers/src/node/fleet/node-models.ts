/**
 * The models of a node, by its mode (docs/operator.md, "Running a fleet"):
 * - "all" (the default): each configured file is loaded here in a worker thread (models.ts);
 * - "all" with `fleet`: the same files also consume the fleet's run queues, and the steps run
 *   every model through those queues, so inference processes on other machines share the work;
 * - "submit": no model runs here; each configured model is published for the inference
 *   processes and the steps wait for their results.
 */
import type { Logger } from "pino";
import type { Hex } from "viem";
import { readModel } from "../../chain/reads.ts";
import type { ChainClients } from "../../chain/clients.ts";
import type { Deployment } from "../../chain/deployment.ts";
import { ThreadedInferenceEngine, type EngineHealth } from "../../inference/runtime/index.ts";
import type { Common } from "../common.ts";
import type { StepModel } from "../context.ts";
import { loadModels } from "../models.ts";
import type { NodeRedis } from "../redis.ts";
import { FleetClient } from "./client.ts";
import { startRunWorkers } from "./runner.ts";
import { memoizedModels, RunMemo, timedModels } from "../run-memo.ts";

export interface NodeModels {
  models: Map<Hex, StepModel>;
  /** Why each refused model is not served. */
  refused: Map<Hex, string>;
  /** The model thread's state, when models run here (/health: a dead thread is being replaced). */
  threads?: () => EngineHealth;
}

interface ModelsContext {
  common: Common;
  clients: ChainClients;
  deployment: Deployment;
  store: NodeRedis;
}

/**
 * The models that run here, loaded once for all the node keys of a relay process (relay/start.ts,
 * docs/operator.md §11): the first key's node loads them (one engine, one thread, one copy of
 * each model, the fleet's run workers once), the other keys' nodes get the same models behind
 * the same run memo. Its clean-up (`close`) is the relay's, once every key's node has stopped.
 */
export class SharedModels {
  private local?: Promise<NodeModels>;
  private readonly closers: { name: string; fn: () => Promise<void> }[] = [];
  /** Engines made for the keys (1 once the first key's node has loaded its models; tests read it). */
  engines = 0;

  /** The models loaded by the first caller's `load` (later callers get the same ones). */
  get(
    load: (onStop: (name: string, fn: () => Promise<void>) => void) => Promise<NodeModels>,
  ): Promise<NodeModels> {
    this.local ??= load((name, fn) => this.closers.push({ name, fn }));
    return this.local;
  }

  /** Closes what the loading registered, the last registered first. */
  async close(logger: Logger): Promise<void> {
    for (const c of this.closers.splice(0).reverse())
      await c.fn().catch((e: Error) => logger.warn({ step: c.name, err: e.message }, "error while stopping"));
  }
}

/** Loads the node's models for its mode; registers their clean-up with the node's shutdown (or `shared`'s). */
export async function nodeModels(ctx: ModelsContext, shared?: SharedModels): Promise<NodeModels> {
  const { config, logger, shutdown } = ctx.common;
  let local: NodeModels | undefined;
  if (config.only !== "submit") {
    const load = (onStop: (name: string, fn: () => Promise<void>) => void) =>
      localModels(ctx, onStop, shared);
    local = shared ? await shared.get(load) : await load((n, fn) => shutdown.onStop(n, fn));
    if (!config.fleet) return local;
  }
  const fleet = new FleetClient({
    connection: ctx.store.connection,
    redis: ctx.store.redis,
    redisPrefix: config.redisPrefix,
    logger,
    signal: shutdown.signal,
  });
  shutdown.onStop("fleet", () => fleet.close());
  const models = new Map<Hex, StepModel>();
  const refused = new Map<Hex, string>();
  for (const m of config.models) {
    try {
      const rec = await readModel(
        ctx.clients.publicClient,
        ctx.deployment.contracts.ModelRegistry,
        m.modelId,
      );
      await fleet.publish(m.modelId, { spec: rec.spec, onnxSha256: rec.onnxSha256 });
      models.set(m.modelId, fleet.model(m.modelId));
    } catch (e) {
      refused.set(m.modelId, `cannot be published for the fleet: ${(e as Error).message.split("\n")[0]}`);
      logger.error({ modelId: m.modelId, err: (e as Error).message }, "model not published; not served");
    }
  }
  const here = local ? [...local.models.keys()] : [];
  logger.info({ models: [...models.keys()], here }, "models published for the fleet's inference processes");
  return { models: timedModels(models, ctx.common.metrics), refused, threads: local?.threads };
}

/**
 * The models run here: one engine (a worker thread: session.run never blocks the watcher, the
 * signer or /health), each model behind a run memo (one run per distinct input); with `fleet`,
 * the loaded models also consume the fleet's run queues (started once). Clean-ups go to `onStop`.
 */
async function localModels(
  ctx: ModelsContext,
  onStop: (name: string, fn: () => Promise<void>) => void,
  shared?: SharedModels,
): Promise<NodeModels> {
  const { config, logger, metrics } = ctx.common;
  const engine = new ThreadedInferenceEngine({ threads: 1, logger });
  if (shared) shared.engines++;
  onStop("inference", () => engine.close());
  const loaded = await loadModels(ctx, engine);
  const models = memoizedModels(loaded.models, { memo: new RunMemo(), metrics, logger });
  if (config.fleet) {
    // the steps run the models through the fleet's queues (one job per input): the workers run them as they are
    const workers = startRunWorkers(loaded.models, {
      connection: ctx.store.connection,
      redisPrefix: config.redisPrefix,
      logger,
    });
    onStop("run queues", () => workers.close());
  }
  return { models, refused: loaded.refused, threads: () => engine.health() };
}
