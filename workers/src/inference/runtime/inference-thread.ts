/**
 * The body of an inference thread: an {@link InferenceEngine} that loads models and runs task
 * inputs (decode, run, canonicalize, hash) off the main thread, so the main event loop (chain
 * watcher, signer, queues) never waits on a model. Driven by {@link ThreadedInferenceEngine}.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InferenceEngine, type LoadedModel } from "./engine.ts";
import { ModelStore } from "./store.ts";
import {
  toThreadError,
  type FromThread,
  type ThreadEngineOptions,
  type ToThread,
} from "./thread-protocol.ts";
import type { InferenceLogger } from "../logger.ts";

const port = parentPort!;
const post = (m: FromThread) => port.postMessage(m);
const logTo =
  (level: "debug" | "info" | "warn" | "error") =>
  (obj: object, msg?: string): void =>
    post({ log: level, obj, msg });
const logger: InferenceLogger = {
  debug: logTo("debug"),
  info: logTo("info"),
  warn: logTo("warn"),
  error: logTo("error"),
};

const opts = workerData as ThreadEngineOptions;
const engine = new InferenceEngine({
  ...opts,
  logger,
  store: opts.storeDir ? new ModelStore({ dir: opts.storeDir, logger }) : undefined,
});
const models: LoadedModel[] = [];

async function handle(m: ToThread): Promise<FromThread> {
  if (m.op === "load") {
    const model = await engine.load(m.spec, m.source);
    let index = models.indexOf(model);
    if (index < 0) index = models.push(model) - 1;
    const loaded = {
      model: index,
      provider: model.provider,
      sha256: model.sha256,
      path: model.path,
      batching: model.batching,
    };
    return { id: m.id, ok: true, loaded };
  }
  if (m.op === "infer") return { id: m.id, ok: true, result: await models[m.model].infer(m.input) };
  await engine.close();
  return { id: m.id, ok: true };
}

port.on("message", (m: ToThread) => {
  handle(m).then(post, (err: unknown) => post({ id: m.id, ok: false, error: toThreadError(err) }));
});
