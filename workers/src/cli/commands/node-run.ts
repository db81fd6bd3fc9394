import { CliError, type CliCommand } from "../types.ts";
import { ConfigError, loadWorkerConfig, parseFlags } from "../../node/config.ts";
import { startWorker } from "../../node/start.ts";

const help = `Usage: omnitensor node run --config <file.json> [--rpc-url URL] [--redis-url URL] [--roles compute,verifier]
                        [--metrics-port N] [--min-reward OMNIT] [--confirmations N] [--poll-interval-ms MS] ...

Runs a compute and/or verifier bot (docs/bots.md). Configuration comes from the JSON file, then
the environment (RPC_URL, PRIVATE_KEY, REDIS_URL, ROLES, METRICS_PORT, LOG_LEVEL, MIN_REWARD,
CONFIRMATIONS, POLL_INTERVAL_MS, MAX_FEE_PER_GAS_GWEI, REDIS_PREFIX, DEPLOYMENT_FILE), then these
flags. The private key is read from PRIVATE_KEY only. SIGTERM/SIGINT stop it gracefully: jobs in
flight finish, the rest stays queued in Redis and resumes at the next start.

Example:
  PRIVATE_KEY=0x... npx omnitensor node run --config worker.json --metrics-port 9464`;

const command: CliCommand = {
  summary: "run a compute and/or verifier bot",
  help,
  async run(argv) {
    let config;
    try {
      const { configFile, fields } = parseFlags(argv);
      config = await loadWorkerConfig({ file: configFile, flags: fields });
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, 2);
      throw e;
    }
    const worker = await startWorker(config);
    await new Promise<void>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        worker.common.logger.info({ signal: sig }, "signal received; stopping gracefully");
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        void worker.stop().then(resolve);
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
    return 0;
  },
};

export default command;
