/**
 * The configuration of an inference process (`omnitensor node run --only infer`): the Redis URL
 * and prefix of its submitter, the model files, and how many runs at once. No key, no RPC. The
 * file of a full node may be reused: the node's other fields are accepted and ignored (listed in
 * `ignored`); any other unknown field is an error. Sources: file < env (REDIS_URL,
 * REDIS_PREFIX, LOG_LEVEL, METRICS_PORT) < flags.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Hex } from "viem";
import { ConfigError, nodeConfigSchema } from "../config.ts";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

export const inferConfigSchema = z
  .object({
    only: z.literal("infer"),
    redisUrl: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-' only")
      .default("omnitensor"),
    models: z
      .array(
        z.object({
          modelId: z
            .string()
            .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits")
            .transform((s) => s.toLowerCase() as Hex),
          path: z.string().min(1),
        }),
      )
      .min(1, "an inference process needs at least one model (modelId + path)"),
    /** Inference threads (each loads every model; one per core or GPU). */
    inferenceThreads: int(1, 64).default(1),
    /** How many times dead inference threads are replaced within 10 minutes before the process exits (1). */
    threadRestarts: int(0, 1000).default(5),
    /** Run jobs at once per model (default: inferenceThreads). */
    runConcurrency: int(1, 256).optional(),
    /** BullMQ job lock: how long after a process dies its job is run elsewhere (default 30 s). */
    lockDurationMs: int(1000, 600_000).default(30_000),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    /** /health and /metrics (9465 by default, beside a node's 9464; 0 picks a free port, -1 disables). */
    metrics: z
      .object({ port: int(-1, 65535).default(9465), host: z.string().default("127.0.0.1") })
      .strict()
      .prefault({}),
  })
  .strict();

export type InferConfig = z.output<typeof inferConfigSchema> & { ignored: string[] };

const ENV: Record<string, string> = {
  REDIS_URL: "redisUrl",
  REDIS_PREFIX: "redisPrefix",
  LOG_LEVEL: "logLevel",
};

/** Validates an inference process's configuration (node-only fields are dropped and listed). */
export function parseInferConfig(input: Record<string, unknown>): InferConfig {
  const own = new Set(Object.keys(inferConfigSchema.shape));
  const nodeFields = new Set(Object.keys(nodeConfigSchema.shape));
  const kept: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (own.has(k)) kept[k] = v;
    else if (nodeFields.has(k)) ignored.push(k);
    else kept[k] = v; // unknown: the strict schema names it
  }
  const r = inferConfigSchema.safeParse(kept);
  if (!r.success)
    throw new ConfigError(
      `invalid inference process config: ${r.error.issues
        .map(
          (i) =>
            `${i.path.length ? i.path.join(".") : "(config)"}: ${i.code === "invalid_type" && i.input === undefined ? "is required" : i.message}`,
        )
        .join("; ")}`,
    );
  return { ...r.data, ignored };
}

/** Reads `file` (optional), the environment and the flags (later wins). */
export async function loadInferConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, unknown>;
}): Promise<InferConfig> {
  let fields: Record<string, unknown> = {};
  if (opts.file) {
    try {
      fields = JSON.parse(await readFile(opts.file, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config file ${opts.file}: ${(e as Error).message}`);
    }
    if (typeof fields !== "object" || fields === null || Array.isArray(fields))
      throw new ConfigError(`config file ${opts.file}: must hold a JSON object`);
  }
  const env = opts.env ?? process.env;
  for (const [name, field] of Object.entries(ENV)) if (env[name]) fields[field] = env[name];
  if (env.METRICS_PORT) fields.metrics = { ...(fields.metrics as object), port: env.METRICS_PORT };
  const flags = opts.flags ?? {};
  if (flags.metrics) fields.metrics = { ...(fields.metrics as object), ...(flags.metrics as object) };
  return parseInferConfig({ ...fields, ...flags, ...(fields.metrics ? { metrics: fields.metrics } : {}) });
}

/** The mode a `node run` asks for: "infer" (an inference process) or undefined (a node). */
export async function requestedMode(
  file: string | undefined,
  flags: Record<string, unknown>,
): Promise<"infer" | undefined> {
  if (flags.only !== undefined) return flags.only === "infer" ? "infer" : undefined;
  if (!file) return undefined;
  const text = await readFile(file, "utf8").catch(() => "{}");
  try {
    return (JSON.parse(text) as { only?: unknown }).only === "infer" ? "infer" : undefined;
  } catch {
    return undefined; // the node's loader reports the bad file
  }
}
