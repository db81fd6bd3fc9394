/**
 * `npm run dashboard`: the indexer (Ponder, indexer/) and the dashboard (dashboard/) against a
 * deployment, by default the demo's chain (`npm run demo -- --keep` writes deployments/31337.json
 * when its chain is on port 8545).
 *
 * Flags: --deployment FILE (default deployments/31337.json), --rpc URL (default
 * http://127.0.0.1:8545), --port N (the web app, default 5173), --indexer-port N (default 42069),
 * --database-url URL (PostgreSQL; default PGlite under .omnitensor/indexer/<chainId>, wiped at each
 * start for a local chain 31337/1337, whose history restarts with it). Ctrl-C stops both.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildDashboard, serveDashboard } from "../test/support/dashboard.ts";
import { ROOT } from "../test/support/devnet.ts";
import { startIndexer } from "../test/support/indexer.ts";
import { parseDeployment } from "../workers/src/chain/deployment.ts";

const { values: flags } = parseArgs({
  options: {
    deployment: { type: "string", default: "deployments/31337.json" },
    rpc: { type: "string", default: "http://127.0.0.1:8545" },
    port: { type: "string", default: "5173" },
    "indexer-port": { type: "string", default: "42069" },
    "database-url": { type: "string" },
    help: { type: "boolean" },
  },
});

async function main(): Promise<void> {
  if (flags.help) {
    console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
    return;
  }
  const file = resolve(ROOT, flags.deployment!);
  if (!existsSync(file))
    throw new Error(
      `no deployment file ${file}: start the demo first (npm run demo -- --keep) or pass --deployment`,
    );
  const d = parseDeployment(JSON.parse(readFileSync(file, "utf8")), file);
  const pgliteDir = join(ROOT, ".omnitensor", "indexer", String(d.chainId));
  if (!flags["database-url"] && (d.chainId === 31337 || d.chainId === 1337))
    rmSync(pgliteDir, { recursive: true, force: true });
  console.log(`indexing chain ${d.chainId} at ${flags.rpc} from block ${d.startBlock} (${file})…`);
  const indexer = await startIndexer({
    deploymentFile: file,
    rpcUrl: flags.rpc!,
    databaseUrl: flags["database-url"],
    pgliteDir,
    port: Number(flags["indexer-port"]),
    pollingMs: 500,
    logFile: join(ROOT, ".omnitensor", "indexer", "ponder.log"),
    timeoutMs: 300_000,
  });
  console.log(
    `indexer API ${indexer.url}/api/overview (GraphQL ${indexer.url}/graphql; log ${indexer.logFile})`,
  );
  console.log("building the dashboard (vite build)…");
  const web = await serveDashboard({
    dir: await buildDashboard(),
    indexerUrl: indexer.url,
    port: Number(flags.port),
  });
  console.log(`\ndashboard: ${web.url}   (Ctrl-C stops the indexer and the dashboard)`);
  const stop = () => {
    console.log("\nstopping…");
    void Promise.all([web.close(), indexer.stop()]).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`dashboard failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
