/**
 * `omnitensor node run --config <file>` for a cheating node: the same config loading and
 * graceful stop, with the wrong-output transform (test/support/cheat.ts) given to startNode.
 * Run as `node --import tsx test/e2e/cheater-node.ts --config <file>` (startBot's `script`).
 */
import { loadNodeConfig, parseFlags } from "../../workers/src/node/config.ts";
import { startNode } from "../../workers/src/node/start.ts";
import { wrongOutput } from "../support/cheat.ts";

async function main(argv: string[]): Promise<void> {
  const { configFile, fields } = parseFlags(argv);
  const config = await loadNodeConfig({ file: configFile, flags: fields });
  const node = await startNode(config, { transformOutput: wrongOutput });
  node.common.logger.warn("TEST-ONLY cheating node: every output is replaced by a wrong one");
  const stop = (signal: NodeJS.Signals) => {
    node.common.logger.info({ signal }, "signal received; stopping gracefully");
    void node.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

// `hardhat test nodejs` loads every file under test/ (this one too): start only when run as a node.
if (process.argv.includes("--config")) await main(process.argv.slice(2));
