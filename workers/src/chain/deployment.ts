import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { getAddress, isAddress, type Address } from "viem";

/** The addresses file written by `npm run deploy` (PROTOCOL.md §10). */
export interface Deployment {
  chainId: number;
  /** The block that deployed the first contract: where watchers start scanning. */
  startBlock: number;
  contracts: {
    OmniToken: Address;
    NodeStaking: Address;
    ModelRegistry: Address;
    TaskManager: Address;
    /** Governance (PROTOCOL.md §10); absent from files written before it was deployed. */
    OmniGovernor?: Address;
    TimelockController?: Address;
  };
}

export const CONTRACT_NAMES = ["OmniToken", "NodeStaking", "ModelRegistry", "TaskManager"] as const;

/** The governance contracts: optional in a file or the environment (OMNI_GOVERNOR, TIMELOCK_CONTROLLER). */
export const GOVERNANCE_NAMES = ["OmniGovernor", "TimelockController"] as const;

/** The deployment file is missing, unreadable or malformed; the message says what to do. */
export class DeploymentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DeploymentError";
  }
}

/** Where `npm run deploy` writes the addresses of chain `chainId` (relative to the repo root). */
export function deploymentPath(chainId: number, dir = "deployments"): string {
  return resolve(dir, `${chainId}.json`);
}

/** Validates a parsed deployment object, naming the field that is wrong. */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  if (typeof value !== "object" || value === null) throw new DeploymentError(`${source}: not a JSON object`);
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.chainId) || (v.chainId as number) <= 0)
    throw new DeploymentError(`${source}: field "chainId" must be a positive integer`);
  if (!Number.isSafeInteger(v.startBlock) || (v.startBlock as number) < 0)
    throw new DeploymentError(`${source}: field "startBlock" must be a non-negative integer`);
  const c = v.contracts as Record<string, unknown> | undefined;
  if (typeof c !== "object" || c === null)
    throw new DeploymentError(`${source}: field "contracts" is missing`);
  const contracts = {} as Deployment["contracts"];
  for (const name of CONTRACT_NAMES) {
    const a = c[name];
    if (typeof a !== "string" || !isAddress(a))
      throw new DeploymentError(`${source}: field "contracts.${name}" must be an address`);
    contracts[name] = getAddress(a);
  }
  for (const name of GOVERNANCE_NAMES) {
    const a = c[name];
    if (a === undefined) continue;
    if (typeof a !== "string" || !isAddress(a))
      throw new DeploymentError(`${source}: field "contracts.${name}" must be an address when present`);
    contracts[name] = getAddress(a);
  }
  return { chainId: v.chainId as number, startBlock: v.startBlock as number, contracts };
}

/**
 * Loads the deployment of `chainId`: from the environment when OMNIT_TOKEN, NODE_STAKING,
 * MODEL_REGISTRY and TASK_MANAGER are all set (START_BLOCK, OMNI_GOVERNOR and TIMELOCK_CONTROLLER optional), else from
 * `deployments/<chainId>.json`.
 */
export async function loadDeployment(
  chainId: number,
  opts: { dir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Deployment> {
  const env = opts.env ?? process.env;
  if (env.OMNIT_TOKEN && env.NODE_STAKING && env.MODEL_REGISTRY && env.TASK_MANAGER) {
    return parseDeployment(
      {
        chainId,
        startBlock: Number(env.START_BLOCK ?? 0),
        contracts: {
          OmniToken: env.OMNIT_TOKEN,
          NodeStaking: env.NODE_STAKING,
          ModelRegistry: env.MODEL_REGISTRY,
          TaskManager: env.TASK_MANAGER,
          OmniGovernor: env.OMNI_GOVERNOR || undefined,
          TimelockController: env.TIMELOCK_CONTROLLER || undefined,
        },
      },
      "environment",
    );
  }
  const file = deploymentPath(chainId, opts.dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new DeploymentError(
      `no deployment for chain ${chainId}: ${file} does not exist. ` +
        `Deploy first (npm run deploy -- --network <name>) or set OMNIT_TOKEN, NODE_STAKING, MODEL_REGISTRY and TASK_MANAGER.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new DeploymentError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const d = parseDeployment(parsed, file);
  if (d.chainId !== chainId)
    throw new DeploymentError(
      `${file}: says chainId ${d.chainId} but the RPC is chain ${chainId} (wrong network?)`,
    );
  return d;
}
