import { CliError, type CliCommand } from "../types.ts";
import { addressOfKey, announceSigner, resolveKey } from "../options.ts";

const help = `Usage: omnitensor node run --config <file.json> [--rpc-url URL] [--redis-url URL] [--roles compute,validator]
                        [--metrics-port N] [--min-reward OMNIT] [--confirmations N] [--poll-interval-ms MS] ...

Runs the node service: compute and/or validator duties (docs/bots.md; "verifier" is accepted
for the validator role). Configuration comes from the JSON file, then the environment (RPC_URL,
REDIS_URL, ROLES, METRICS_PORT, LOG_LEVEL, MIN_REWARD, CONFIRMATIONS, POLL_INTERVAL_MS,
MAX_FEE_PER_GAS_GWEI, REDIS_PREFIX, DEPLOYMENT_FILE), then these flags. The node key comes from
the environment only: NODE_PRIVATE_KEY, else PRIVATE_KEY (never from a file or a flag).
Relay mode (several node keys behind one relayer that pays the gas, docs/operator.md): the node
keys in NODE_KEYS (comma-separated) or the file NODE_KEYS_FILE, the relayer's key in
RELAYER_PRIVATE_KEY (else the node key variable); batching in the file's "relay" object.
SIGTERM/SIGINT stop it gracefully: jobs in flight finish, the rest stays queued in Redis and
resumes at the next start. The old name \`omnitensor worker\` still works.

Scale-out with one key (docs/operator.md, "Running a fleet"): \`--only submit\` holds the key
and sends every transaction but runs no model; \`--only infer\` starts an inference process that
needs only --redis-url (and --redis-prefix) and the model files of the config (no key, no RPC),
on any machine, as many as you like; \`--fleet true\` makes a full node share its runs with them.

Example:
  NODE_PRIVATE_KEY=0x... npx omnitensor node run --config node.json --metrics-port 9464
  npx omnitensor node run --only infer --config node.json --redis-url redis://10.0.0.5:6379`;

/** "validator" (the protocol's word) → "verifier" (the node config's word) in a roles list. */
function configRoles(value: string): string {
  return value
    .split(",")
    .map((r) => (r.trim() === "validator" ? "verifier" : r.trim()))
    .join(",");
}

/** Runs signal-driven until SIGTERM/SIGINT, then `stop()`. */
function untilSignal(log: { info(o: object, m: string): void }, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log.info({ signal: sig }, "signal received; stopping gracefully");
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      void stop().then(resolve);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `node run --only infer`: an inference process (Redis and model files only; no key is read). */
async function runInfer(parsed: { configFile?: string; fields: Record<string, unknown> }): Promise<number> {
  const { ConfigError } = await import("../../node/config.ts");
  const { loadInferConfig } = await import("../../node/fleet/infer-config.ts");
  const { startInferenceProcess } = await import("../../node/fleet/infer-process.ts");
  let config;
  try {
    config = await loadInferConfig({ file: parsed.configFile, flags: parsed.fields });
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, 2);
    throw e;
  }
  const p = await startInferenceProcess(config);
  // Stopped by a signal (0), or by itself when its inference threads are lost (1: restart it).
  return Promise.race([untilSignal(p.logger, () => p.stop()).then(() => 0), p.failed.then(() => 1)]);
}

const command: CliCommand = {
  help,
  async run(argv) {
    // Loaded here, not at the top: `--help` never loads BullMQ or onnxruntime.
    const { ConfigError, loadWorkerConfig, parseFlags } = await import("../../node/config.ts");
    const args = argv.map((a, i) =>
      argv[i - 1] === "--roles"
        ? configRoles(a)
        : a.startsWith("--roles=")
          ? `--roles=${configRoles(a.slice(8))}`
          : a,
    );
    const { requestedMode } = await import("../../node/fleet/infer-config.ts");
    const parsed = (() => {
      try {
        return parseFlags(args);
      } catch (e) {
        throw e instanceof ConfigError ? new CliError(e.message, 2) : e;
      }
    })();
    // An inference process reads no key: decided before the key is looked for.
    if ((await requestedMode(parsed.configFile, parsed.fields)) === "infer") return runInfer(parsed);
    const { startWorker } = await import("../../node/start.ts");
    const resolved = resolveKey(undefined, "node");
    const env = { ...process.env };
    if (resolved) env.PRIVATE_KEY = resolved.key;
    if (env.ROLES) env.ROLES = configRoles(env.ROLES);
    let config;
    try {
      const { configFile, fields } = parsed;
      config = await loadWorkerConfig({ file: configFile, flags: fields, env });
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, 2);
      throw e;
    }
    if (config.nodeKeys?.length && env.RELAYER_PRIVATE_KEY)
      announceSigner(addressOfKey(config.privateKey), "RELAYER_PRIVATE_KEY");
    else if (resolved) announceSigner(addressOfKey(resolved.key), resolved.source);
    const worker = await startWorker(config).catch((e: unknown) => {
      // A key or port in use, an unreachable RPC (OmniTensorError: it has a code): one line, no stack.
      throw typeof (e as { code?: unknown }).code === "string" ? new CliError((e as Error).message, 1) : e;
    });
    await untilSignal(worker.common.logger, () => worker.stop());
    return 0;
  },
};

export default command;
