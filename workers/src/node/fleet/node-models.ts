/**
 * The models of a node, by its mode (docs/operator.md, "Running a fleet"):
 * - "all" (the default): each configured file is loaded here in a worker thread (models.ts);
 * - "all" with `fleet`: the same files also consume the fleet's run queues, and the steps run
 *   every model through those queues, so inference processes on other machines share the work;
 * - "submit": no model runs here; each configured model is published for the inference
 *   processes and the steps wait for their results.
 */
import type { Hex } from "viem";
import { modelRegistryAbi } from "../../chain/abis.ts";
import type { ChainClients } from "../../chain/clients.ts";
import type { Deployment } from "../../chain/deployment.ts";
import { ThreadedInferenceEngine, type EngineHealth } from "../../inference/runtime/index.ts";
import type { Common } from "../common.ts";
import type { StepModel } from "../context.ts";
import { loadModels } from "../models.ts";
import type { NodeRedis } from "../redis.ts";
import { FleetClient } from "./client.ts";
import { startRunWorkers } from "./runner.ts";

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

/** Loads the node's models for its mode; registers their clean-up with the node's shutdown. */
export async function nodeModels(ctx: ModelsContext): Promise<NodeModels> {
  const { config, logger, shutdown } = ctx.common;
  let local: NodeModels | undefined;
  if (config.only !== "submit") {
    // Models run in a worker thread: session.run never blocks the watcher, the signer or /health.
    const engine = new ThreadedInferenceEngine({ threads: 1, logger });
    shutdown.onStop("inference", () => engine.close());
    const loaded = { ...(await loadModels(ctx, engine)), threads: () => engine.health() };
    if (!config.fleet) return loaded;
    const workers = startRunWorkers(loaded.models, {
      connection: ctx.store.connection,
      redisPrefix: config.redisPrefix,
      logger,
    });
    shutdown.onStop("run queues", () => workers.close());
    local = loaded;
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
      const rec = await ctx.clients.publicClient.readContract({
        address: ctx.deployment.contracts.ModelRegistry,
        abi: modelRegistryAbi,
        functionName: "getModel",
        args: [m.modelId],
      });
      await fleet.publish(m.modelId, { spec: rec.spec, onnxSha256: rec.onnxSha256 });
      models.set(m.modelId, fleet.model(m.modelId));
    } catch (e) {
      refused.set(m.modelId, `cannot be published for the fleet: ${(e as Error).message.split("\n")[0]}`);
      logger.error({ modelId: m.modelId, err: (e as Error).message }, "model not published; not served");
    }
  }
  const here = local ? [...local.models.keys()] : [];
  logger.info({ models: [...models.keys()], here }, "models published for the fleet's inference processes");
  return { models, refused, threads: local?.threads };
}
