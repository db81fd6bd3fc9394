/**
 * Which chain and contracts the indexer follows, from the environment:
 *   OMNITENSOR_DEPLOYMENT  the deployment file (default: deployments/31337.json, the demo's chain)
 *   PONDER_RPC_URL         the chain's JSON-RPC URL (default http://127.0.0.1:8545)
 *   PONDER_POLLING_MS      how often to poll for new blocks (default 500)
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDeployment, type Deployment } from "../workers/src/chain/deployment.ts";

// (import.meta.dirname is undefined under vite-node, which runs Ponder's config)
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface IndexerTarget {
  deployment: Deployment;
  file: string;
  rpcUrl: string;
  pollingMs: number;
}

export function indexerTarget(env: NodeJS.ProcessEnv = process.env): IndexerTarget {
  const file = resolve(REPO_ROOT, env.OMNITENSOR_DEPLOYMENT || "deployments/31337.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(
      `OMNITENSOR_DEPLOYMENT: ${file} does not exist (run \`npm run demo -- --keep\` or \`npm run deploy\` first)`,
    );
  }
  const deployment = parseDeployment(JSON.parse(text), file);
  const pollingMs = Number(env.PONDER_POLLING_MS || 500);
  if (!Number.isFinite(pollingMs) || pollingMs <= 0)
    throw new Error(
      `PONDER_POLLING_MS must be a positive number of milliseconds, got "${env.PONDER_POLLING_MS}"`,
    );
  return { deployment, file, rpcUrl: env.PONDER_RPC_URL || "http://127.0.0.1:8545", pollingMs };
}
