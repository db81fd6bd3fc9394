/**
 * `npm run deploy -- --network <name>`: deploys OmniToken, NodeStaking, ModelRegistry,
 * TaskManager (with its linked libraries), TimelockController and OmniGovernor through the
 * Ignition module deploy/modules/OmniTensor.ts and writes deployments/<chainId>.json (PROTOCOL.md §10).
 *
 * Ownership (docs/governance.md): on every chain but a local one (chain id 31337 or 1337) the
 * deployment ends by handing NodeStaking and TaskManager to the timelock, and the deployer gives
 * up every timelock role. On a local chain the deployer stays owner unless HANDOVER=1.
 *
 * Environment: TREASURY (optional; default: the deployer) receives the whole OMNIT supply.
 * HANDOVER=1 hands over on a local chain too. Parameters per network may be given in
 * deploy/parameters/<network>.json (Ignition format, under "OmniTensor"; big numbers as "123n").
 * DEPLOYMENTS_DIR (default `deployments`) is where the addresses file goes; IGNITION_DEPLOYMENT_ID
 * (default `chain-<chainId>`, `chain-<chainId>-handover` for a local chain with HANDOVER=1) names
 * Ignition's journal folder under deploy/deployments/.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { network } from "hardhat";
import { getAddress, isAddress, parseAbi, type Address } from "viem";
import { OmniTensorHandoverModule, OmniTensorModule } from "../deploy/modules/OmniTensor.ts";
import { deploymentPath, type Deployment } from "../workers/src/chain/deployment.ts";

const LOCAL_CHAINS = new Set([31337, 1337]);

async function firstReceiptBlock(journal: string): Promise<number | undefined> {
  if (!existsSync(journal)) return undefined;
  let min: number | undefined;
  for (const line of (await readFile(journal, "utf8")).split("\n")) {
    if (!line.includes('"TRANSACTION_CONFIRM"')) continue;
    const bn = Number((JSON.parse(line) as { receipt?: { blockNumber?: number } }).receipt?.blockNumber);
    if (Number.isFinite(bn)) min = min === undefined ? bn : Math.min(min, bn);
  }
  return min;
}

function pick(result: Record<string, { address: Address }>, key: string, name: string): Address {
  if (!result[key])
    throw new Error(`the Ignition module returns no ${name} (keys: ${Object.keys(result).join(", ")})`);
  return getAddress(result[key].address);
}

/** Ignition's rule for parameter files: a string of digits ending in "n" is a bigint. */
function bigintReviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value;
}

/** A restarted local chain keeps Ignition's journal but not the contracts: start over. */
async function dropStaleJournal(ignitionDir: string, getCode: (a: Address) => Promise<string | undefined>) {
  if (!existsSync(ignitionDir)) return;
  const prev = join(ignitionDir, "deployed_addresses.json");
  const addrs = existsSync(prev)
    ? (Object.values(JSON.parse(await readFile(prev, "utf8"))) as Address[])
    : [];
  const code = addrs.length ? await getCode(addrs[0]) : undefined;
  if (!code || code === "0x") await rm(ignitionDir, { recursive: true, force: true });
}

/** deploy/parameters/<network>.json (when present) with the treasury set under "OmniTensor". */
async function parametersFor(networkName: string, treasury: string) {
  const paramsFile = join("deploy", "parameters", `${networkName}.json`);
  const fileParams = existsSync(paramsFile)
    ? JSON.parse(await readFile(paramsFile, "utf8"), bigintReviver)
    : {};
  return { ...fileParams, OmniTensor: { ...(fileParams.OmniTensor ?? {}), treasury } };
}

/** Prints who owns NodeStaking and TaskManager now (stderr): the timelock after a handover. */
async function reportOwners(
  read: (address: Address) => Promise<Address>,
  d: Deployment,
  deployer: Address,
): Promise<void> {
  for (const name of ["NodeStaking", "TaskManager"] as const) {
    const owner = await read(d.contracts[name]);
    const who =
      owner === d.contracts.TimelockController
        ? "the governance timelock"
        : owner === deployer
          ? "the deployer"
          : "neither the deployer nor the timelock";
    console.error(`${name} owner: ${owner} (${who})`);
  }
}

async function main(): Promise<void> {
  const conn = await network.connect();
  const publicClient = await conn.viem.getPublicClient();
  const [deployer] = await conn.viem.getWalletClients();
  if (!deployer) throw new Error("no deployer account: set DEPLOYER_PRIVATE_KEY in .env (see .env.example)");
  const chainId = await publicClient.getChainId();
  const balance = await publicClient.getBalance({ address: deployer.account.address });
  if (balance === 0n)
    throw new Error(
      `the deployer ${deployer.account.address} has no native coin on chain ${chainId}: fund it first`,
    );

  const treasury = process.env.TREASURY?.trim() || deployer.account.address;
  if (!isAddress(treasury)) throw new Error(`TREASURY is not an address: "${treasury}"`);

  const local = LOCAL_CHAINS.has(chainId);
  const handover = !local || process.env.HANDOVER === "1";
  const deploymentId =
    process.env.IGNITION_DEPLOYMENT_ID?.trim() || `chain-${chainId}${local && handover ? "-handover" : ""}`;
  const ignitionDir = join("deploy", "deployments", deploymentId);
  if (local) await dropStaleJournal(ignitionDir, (address) => publicClient.getCode({ address }));
  const parameters = await parametersFor(conn.networkName, treasury);

  const before = await publicClient.getBlockNumber();
  console.error(
    `Deploying OmniTensor to chain ${chainId} (${conn.networkName}) from ${deployer.account.address}` +
      (handover ? "; ownership goes to the governance timelock" : "; the deployer stays owner (local chain)"),
  );
  const module = handover ? OmniTensorHandoverModule : OmniTensorModule;
  const result = (await conn.ignition.deploy(module, {
    parameters,
    deploymentId,
    displayUi: !process.env.CI,
  })) as unknown as Record<string, { address: Address }>;

  const startBlock = (await firstReceiptBlock(join(ignitionDir, "journal.jsonl"))) ?? Number(before) + 1;
  const deployment: Deployment = {
    chainId,
    startBlock,
    contracts: {
      OmniToken: pick(result, "token", "OmniToken"),
      NodeStaking: pick(result, "staking", "NodeStaking"),
      ModelRegistry: pick(result, "registry", "ModelRegistry"),
      TaskManager: pick(result, "taskManager", "TaskManager"),
      OmniGovernor: pick(result, "governor", "OmniGovernor"),
      TimelockController: pick(result, "timelock", "TimelockController"),
    },
  };
  const out = deploymentPath(chainId, process.env.DEPLOYMENTS_DIR || "deployments");
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(deployment, null, 2) + "\n");
  console.log(`Wrote ${out}`);
  console.log(JSON.stringify(deployment, null, 2));
  const ownerAbi = parseAbi(["function owner() view returns (address)"]);
  await reportOwners(
    (address) => publicClient.readContract({ address, abi: ownerAbi, functionName: "owner" }),
    deployment,
    getAddress(deployer.account.address),
  );
}

main().catch((err: unknown) => {
  console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
