/**
 * The node's models: each configured file is loaded only if its sha256 equals the one registered
 * in ModelRegistry. A file that fails the check (or cannot be loaded) is not served, with one
 * error line naming it; the node keeps the reason for /health.
 */
import type { Hex } from "viem";
import { readModel } from "../chain/reads.ts";
import type { ChainClients } from "../chain/clients.ts";
import type { Deployment } from "../chain/deployment.ts";
import { ModelHashMismatchError } from "../inference/index.ts";
import type { ThreadedInferenceEngine, ThreadedModel } from "../inference/runtime/index.ts";
import type { Logger } from "pino";
import type { Common } from "./common.ts";

export interface LoadedModels {
  /** The usable models, by lowercase modelId. */
  models: Map<Hex, ThreadedModel>;
  /** Why each refused model is not served, by modelId. */
  refused: Map<Hex, string>;
}

/** Loads every configured model whose file passes its hash check against ModelRegistry. */
export async function loadModels(
  ctx: { common: Common; clients: ChainClients; deployment: Deployment },
  engine: ThreadedInferenceEngine,
): Promise<LoadedModels> {
  const models = new Map<Hex, ThreadedModel>();
  const refused = new Map<Hex, string>();
  for (const m of ctx.common.config.models) {
    const log = ctx.common.logger.child({ modelId: m.modelId });
    try {
      const model = await readModel(
        ctx.clients.publicClient,
        ctx.deployment.contracts.ModelRegistry,
        m.modelId,
      );
      await loadCheckedModel(engine, m, model, log, { models, refused }, "ModelRegistry");
    } catch (e) {
      const err = (e as Error).message.split("\n")[0];
      refused.set(m.modelId, `${m.path}: cannot be loaded: ${err}`);
      log.error({ path: m.path, err }, "model cannot be loaded; not served");
    }
  }
  return { models, refused };
}

/**
 * Loads one model file against the spec and sha256 registered for it (`against` names where they
 * come from: ModelRegistry, or the fleet's published record); a file that fails the check or cannot
 * be loaded is logged and recorded in `into.refused` with its reason, never thrown.
 */
export async function loadCheckedModel(
  engine: ThreadedInferenceEngine,
  m: { modelId: Hex; path?: string },
  registered: { spec: string; onnxSha256: string },
  log: Logger,
  into: LoadedModels,
  against: string,
): Promise<void> {
  try {
    const loaded = await engine.load(registered.spec, { path: m.path ?? "", sha256: registered.onnxSha256 });
    into.models.set(m.modelId, loaded);
    log.info({ path: m.path, provider: loaded.provider }, "model loaded and its hash checked");
  } catch (e) {
    const err = (e as Error).message.split("\n")[0];
    const hash = e instanceof ModelHashMismatchError;
    into.refused.set(m.modelId, `${m.path}: ${hash ? "fails its hash check" : "cannot be loaded"}: ${err}`);
    log.error(
      { path: m.path, err },
      hash
        ? `model file fails its hash check against ${against}; not served`
        : "model cannot be loaded; not served",
    );
  }
}
