/**
 * The node's configuration: ONE zod schema for the config file, the environment and the
 * command-line flags (later sources win: file < env < flags). It fails at start with the field
 * name and the reason. The private key is taken from the environment only and never logged.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { getAddress, isAddress, parseUnits, type Address, type Hex } from "viem";
import { ConfigError } from "./config-error.ts";
import { relayFields, relaySchema } from "./relay/config.ts";

export { ConfigError };

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits");
const address = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), "must be an EVM address")
  .transform((s) => getAddress(s));
/** An amount of OMNIT or ETH: a decimal string in whole units ("1.5") or a number. */
const units = (decimals: number) =>
  z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      try {
        return parseUnits(String(v), decimals);
      } catch {
        ctx.addIssue({ code: "custom", message: `"${v}" is not a decimal amount` });
        return z.NEVER;
      }
    })
    .refine((v) => v >= 0n, "must not be negative");
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

export const ROLES = ["compute", "verifier"] as const;
export type Role = (typeof ROLES)[number];

const modelSchema = z.object({
  /** The ModelRegistry id (bytes32) this bot serves. */
  modelId: hex32.transform((s) => s.toLowerCase() as Hex),
  /** Local ONNX file; its sha256 must equal the registered onnxSha256 (checked at start). Not read by a submit-only node. */
  path: z.string().min(1).optional(),
});
const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

export const nodeConfigSchema = z
  .object({
    /** JSON-RPC endpoint (http or https). */
    rpcUrl: z.string().url("must be an http(s) URL"),
    /** The node key (0x + 64 hex): ENV ONLY (PRIVATE_KEY). */
    privateKey: hex32.transform((s) => s as Hex),
    /** Redis holding the work in flight, e.g. redis://127.0.0.1:6379/0 */
    redisUrl: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL"),
    /** Key prefix of every Redis key this bot writes (queues, checkpoint, results). */
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.', '-' only")
      .default("omnitensor"),
    // "validator" (the protocol's name of the role, used by `node stake`) is accepted for "verifier".
    roles: z
      .array(z.enum([...ROLES, "validator"]).transform((r): Role => (r === "validator" ? "verifier" : r)))
      .min(1, "needs at least one of compute, verifier"),
    /** Models served by the compute role (and re-run by the verifier role). */
    models: z.array(modelSchema).default([]),
    /** Where an engine may cache model files (optional). */
    modelStore: z.string().optional(),
    /** Smallest task reward (OMNIT, whole units) a compute bot takes. */
    minReward: units(18).default(0n),
    /** A commit is sent only if expected worker share ≥ profitFactor × its gas cost (in OMNIT at `omnitPerEth`). */
    profitFactor: z.coerce.number().min(0).default(1),
    /** Price of 1 ETH in OMNIT used by the profitability guard (0 disables the guard). */
    omnitPerEth: z.coerce.number().min(0).default(0),
    gas: z
      .object({
        /** Cap on maxFeePerGas (gwei): never pays more; a transaction that needs more waits. */
        maxFeePerGasGwei: z.coerce.number().positive().default(200),
        /** Cap on the priority fee (gwei). */
        maxPriorityFeePerGasGwei: z.coerce.number().min(0).default(2),
        /** A transaction still pending after this long is replaced with bumped fees. */
        replaceAfterMs: int(1000).default(60_000),
        /** Fee bump of a replacement, percent (≥ 10 for most nodes). */
        bumpPercent: int(10, 1000).default(15),
        /** Refuses to start a send while the wallet holds less (ETH, whole units). */
        minBalanceEth: units(18).default(0n),
        /** Longest wait for a receipt, replacements included; then the job is retried (default 10 × replaceAfterMs). */
        receiptTimeoutMs: int(1000).optional(),
      })
      .prefault({}),
    /**
     * Blocks behind the head that the watcher waits before it trusts an event. Default: 0 on a
     * local dev chain (chain id 31337 or 1337), 1 elsewhere (see resolveConfirmations).
     */
    confirmations: int(0, 1000).optional(),
    /** /health reports the watcher stale when the head has not advanced for this long (default: max(10 polls, 60 s)). */
    staleAfterMs: int(1000).optional(),
    /** How often the watcher polls for new blocks, milliseconds. */
    pollIntervalMs: int(50, 600_000).default(2000),
    /** Largest eth_getLogs block range. */
    blockRange: int(1, 100_000).default(2000),
    /** Jobs run at once per queue. */
    concurrency: int(1, 64).default(2),
    metrics: z
      .object({
        /** Port of /metrics and /health; 0 picks a free port; -1 disables. */
        port: int(-1, 65535).default(9464),
        host: z.string().default("127.0.0.1"),
      })
      .prefault({}),
    /** deployments/<chainId>.json to read addresses from (default: deployments/<chainId>.json). */
    deploymentFile: z.string().optional(),
    /** Addresses given directly (override the deployment file). */
    addresses: z
      .object({
        OmniToken: address,
        NodeStaking: address,
        ModelRegistry: address,
        TaskManager: address,
      })
      .optional(),
    /** First block to scan when there is no checkpoint (default: the deployment's startBlock). */
    startBlock: int(0).optional(),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    /** Stake that `worker` tops up to at start, OMNIT whole units (0: never stakes by itself). */
    autoStake: units(18).default(0n),
    // --- Relay mode (docs/operator.md "Relay mode"): several node keys behind one relayer ---
    /** Node keys of relay mode: ENV ONLY (NODE_KEYS, comma-separated, or the file NODE_KEYS_FILE). */
    nodeKeys: z.array(hex32.transform((s) => s as Hex)).optional(),
    /** A file holding the node keys of relay mode, one per line (`#` comments); read at load. */
    nodeKeysFile: z.string().min(1).optional(),
    relay: relaySchema.prefault({}),
    // Scale-out (docs/operator.md, "Running a fleet"; `--only infer` is fleet/infer-config.ts):
    /** "submit": holds the key and sends every transaction, runs no model (the fleet does); "all": both. */
    only: z
      .enum(["all", "submit"], { error: () => 'must be "all", "submit" or "infer" (an inference process)' })
      .default("all"),
    /** In "all" mode: run models through the fleet's Redis queues (consumed here and by any inference process). */
    fleet: flag.default(false),
    /** Seats skipped by this node's own reputation data (workers/src/node/skip.ts). Off by default. */
    reputationSkip: z
      .object({
        enabled: z
          .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
          .default(false),
        /** Seats (or decided results) before a loss share is judged. */
        minTasks: int(1).default(3),
        /** Largest share of liquidations a requester, a model or the node's own record may show. */
        maxLossShare: z.coerce.number().min(0).max(1).default(0.34),
      })
      .prefault({}),
  })
  .strict();

/** The validated configuration. `privateKey` is present but is never logged (see redactConfig). */
export type NodeConfig = z.output<typeof nodeConfigSchema>;
/** What a config file or a programmatic caller may give (amounts as strings). */
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
/** @deprecated the old name of NodeConfig. */
export type WorkerConfig = NodeConfig;
/** @deprecated the old name of NodeConfigInput. */
export type WorkerConfigInput = NodeConfigInput;
/** @deprecated the old name of nodeConfigSchema. */
export const workerConfigSchema = nodeConfigSchema;

/** Environment variables read by the node, and the field each sets. */
export const ENV_FIELDS: Record<string, string> = {
  RPC_URL: "rpcUrl",
  PRIVATE_KEY: "privateKey",
  REDIS_URL: "redisUrl",
  REDIS_PREFIX: "redisPrefix",
  ROLES: "roles",
  MIN_REWARD: "minReward",
  CONFIRMATIONS: "confirmations",
  POLL_INTERVAL_MS: "pollIntervalMs",
  METRICS_PORT: "metrics.port",
  LOG_LEVEL: "logLevel",
  MAX_FEE_PER_GAS_GWEI: "gas.maxFeePerGasGwei",
  DEPLOYMENT_FILE: "deploymentFile",
  NODE_KEYS: "nodeKeys",
  NODE_KEYS_FILE: "nodeKeysFile",
  REPUTATION_SKIP: "reputationSkip.enabled",
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(ENV_FIELDS)) {
    const v = env[name];
    if (v === undefined || v === "") continue;
    setPath(
      out,
      field,
      field === "roles" || field === "nodeKeys"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    );
  }
  return out;
}

/** Parses `--rpc-url X --roles compute,verifier --metrics-port 0 ...` into config fields. */
export function parseFlags(argv: string[]): { configFile?: string; fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  let configFile: string | undefined;
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new ConfigError(`unexpected argument "${a}"`);
    const [rawName, inline] = a.slice(2).split("=", 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`flag --${rawName} needs a value`);
    if (rawName === "config") {
      configFile = value;
      continue;
    }
    if (rawName === "private-key")
      throw new ConfigError("privateKey: is read from the PRIVATE_KEY environment variable only");
    if (rawName === "node-keys" || rawName === "keys")
      throw new ConfigError(
        "nodeKeys: is read from NODE_KEYS or the file NODE_KEYS_FILE (--node-keys-file) only",
      );
    const path =
      rawName === "metrics-port"
        ? "metrics.port"
        : rawName === "max-fee-per-gas-gwei"
          ? "gas.maxFeePerGasGwei"
          : camel(rawName);
    setPath(fields, path, path === "roles" ? value.split(",").map((s) => s.trim()) : value);
  }
  return { configFile, fields };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object" && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const field = i.path.length ? i.path.join(".") : "(config)";
      const msg = i.code === "invalid_type" && i.input === undefined ? "is required" : i.message;
      return `${field}: ${msg}`;
    })
    .join("; ");
}

/** Validates a merged configuration object. Throws ConfigError naming every bad field. */
export function parseNodeConfig(input: unknown, _env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const r = nodeConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(`invalid node config: ${formatIssues(r.error)}`);
  const c = r.data;
  if (c.roles.includes("compute") && c.models.length === 0)
    throw new ConfigError(
      "invalid node config: models: the compute role needs at least one model (modelId + path)",
    );
  if (c.nodeKeys && new Set(c.nodeKeys.map((k) => k.toLowerCase())).size !== c.nodeKeys.length)
    throw new ConfigError("invalid node config: nodeKeys: a key is listed twice");
  const noPath = c.models.findIndex((m) => m.path === undefined);
  if (c.only !== "submit" && noPath >= 0)
    throw new ConfigError(
      `invalid node config: models.${noPath}.path: is required (unless only is "submit")`,
    );
  return c;
}

/**
 * Loads the node configuration from a JSON file (optional), the environment and flags.
 * The file may not contain `privateKey`: keys come from the environment only.
 */
export async function loadNodeConfig(
  opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown> } = {},
): Promise<NodeConfig> {
  const env = opts.env ?? process.env;
  let fileFields: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = await readFile(opts.file, "utf8");
    } catch (e) {
      throw new ConfigError(
        `config file ${opts.file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    try {
      fileFields = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`config file ${opts.file}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof fileFields !== "object" || fileFields === null || Array.isArray(fileFields))
      throw new ConfigError(`config file ${opts.file}: must hold a JSON object`);
    if ("privateKey" in fileFields)
      throw new ConfigError(
        `config file ${opts.file}: privateKey: must not be in a file; set the PRIVATE_KEY environment variable`,
      );
    if ("nodeKeys" in fileFields)
      throw new ConfigError(
        `config file ${opts.file}: nodeKeys: must not be in a config file; set NODE_KEYS or NODE_KEYS_FILE`,
      );
  }
  const merged = deepMerge(deepMerge(fileFields, fromEnv(env)), opts.flags ?? {});
  return parseNodeConfig(await relayFields(merged, env), env);
}

/** The configuration as it may be logged: the key replaced by the node address only. */
export function redactConfig(c: NodeConfig, node?: Address): Record<string, unknown> {
  const { privateKey: _key, nodeKeys, ...rest } = c;
  return JSON.parse(
    JSON.stringify(
      {
        ...rest,
        node: node ?? "(derived from PRIVATE_KEY)",
        ...(nodeKeys ? { nodeKeys: nodeKeys.length } : {}),
      },
      (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v),
    ),
  ) as Record<string, unknown>;
}

/** @deprecated the old name of parseNodeConfig. */
export const parseWorkerConfig = parseNodeConfig;
/** @deprecated the old name of loadNodeConfig. */
export const loadWorkerConfig = loadNodeConfig;

/** Chain ids of local development chains (Hardhat, Anvil/Ganache). */
export const LOCAL_CHAIN_IDS: readonly number[] = [31337, 1337];

/**
 * The confirmations to use on chain `chainId`: the configured number, else 0 on a local dev
 * chain (an automining node mines no block after the last transaction, so an event would never
 * get a confirmation) and 1 elsewhere. `warning` is set when a local chain gets confirmations > 0.
 */
export function resolveConfirmations(
  chainId: number,
  configured: number | undefined,
): { confirmations: number; warning?: string } {
  const local = LOCAL_CHAIN_IDS.includes(chainId);
  if (configured === undefined) return { confirmations: local ? 0 : 1 };
  if (local && configured > 0)
    return {
      confirmations: configured,
      warning:
        `confirmations ${configured} on local chain ${chainId}: each event waits for ${configured} later block(s); ` +
        `an automining node makes none without traffic (npm run node mines every second; else set confirmations 0)`,
    };
  return { confirmations: configured };
}

/** Parses a redis:// URL into BullMQ/ioredis connection options (no client is created here). */
export function redisOptions(url: string): {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
} {
  const u = new URL(url);
  const db = u.pathname && u.pathname !== "/" ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError(`redisUrl: database "${u.pathname.slice(1)}" is not a number`);
  return {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
  };
}
