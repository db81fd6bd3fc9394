/**
 * The one devnet harness of the tests, the benchmarks and the demo (issue 10, P7 of the review).
 * Importing it has no side effects.
 *
 * - Chains: `startHardhatNode()` (a `hardhat node` process in its own process group, for code
 *   that needs an HTTP endpoint: bots, the CLI, the demo), `startGanache()` (ganache 7.9,
 *   shanghai, the second EVM client), or any EIP-1193 provider (an in-process EDR connection
 *   from `network.create()`). Every helper takes a `Target`: an RPC URL or such a provider.
 * - Deployment: only through the Ignition module deploy/modules/OmniTensor.ts, run by
 *   ignition-core over the target's JSON-RPC. The artifacts are Hardhat's build (artifacts/) or,
 *   for ganache, the shanghai build (`shanghaiArtifacts`, test/support/shanghai.ts).
 * - Set-up: `fundAndStake`, `transferOmnit`, `registerModel`, `actor` (a requester or any
 *   account), and time travel (`increaseTime`, `warpTo`, `mine`, `setAutomine`, `setIntervalMining`).
 *
 *   const chain = await startHardhatNode();
 *   const d = await deployOmniTensor(chain.rpcUrl);
 *   await fundAndStake(chain.rpcUrl, d, [{ index: 1, roles: 1, stake: parseEther("20000") }]);
 *   ...
 *   await chain.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import {
  deploy as ignitionDeploy,
  DeploymentResultType,
  type Artifact,
  type ArtifactResolver,
  type EIP1193Provider,
  type ExecutionEventListener,
  type DeploymentParameters,
  type IgnitionModule,
} from "@nomicfoundation/ignition-core";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  getAddress,
  keccak256,
  parseEther,
  toHex,
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import {
  OmniTensorCoreModule,
  OmniTensorHandoverModule,
  OmniTensorModule,
} from "../../deploy/modules/OmniTensor.ts";
import {
  modelRegistryAbi,
  nodeStakingAbi,
  omniTokenAbi,
  taskManagerAbi,
} from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import type { ShanghaiBuild } from "./shanghai.ts";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const MNEMONIC = "test test test test test test test test test test test junk";
export { parseEther };

// ---------------------------------------------------------------- accounts

/** The private key of Hardhat's default account `index` (the node funds 20 with 10,000 ETH each). */
export function devKey(index: number): Hex {
  const hd = mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey();
  return `0x${Buffer.from(hd.privateKey!).toString("hex")}` as Hex;
}
export function devAddress(index: number): Address {
  return privateKeyToAccount(devKey(index)).address;
}
/** Hardhat's default account `index`: its private key and address. */
export function devAccount(index: number): { key: Hex; address: Address } {
  return { key: devKey(index), address: devAddress(index) };
}

// ---------------------------------------------------------------- processes and JSON-RPC

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Kills a process group started with `detached: true` (SIGTERM, then SIGKILL). */
export async function killGroup(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(t);
}

/** A chain to talk to: an HTTP JSON-RPC URL or an EIP-1193 provider (e.g. `network.create()`'s). */
export type Target = string | EIP1193Provider;

/** One JSON-RPC call (for the dev methods viem has no action for: evm_mine, evm_setIntervalMining, …). */
export async function rpc(target: Target, method: string, params: unknown[] = []): Promise<unknown> {
  if (typeof target !== "string") return target.request({ method, params });
  const r = await fetch(target, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as {
    result?: unknown;
    error?: { message: string; code?: number; data?: unknown };
  };
  // code and data travel with the error, so that viem decodes a revert's custom error.
  if (j.error)
    throw Object.assign(new Error(`${method}: ${j.error.message}`), {
      code: j.error.code,
      data: j.error.data,
    });
  return j.result;
}

/** An EIP-1193 provider for `target` (a URL becomes a fetch-based one). */
export function providerOf(target: Target): EIP1193Provider {
  if (typeof target !== "string") return target;
  return {
    request: ({ method, params }) => rpc(target, method, (params ?? []) as unknown[]),
  };
}

/** A local chain run as a separate process (its own process group). */
export interface LocalChain {
  rpcUrl: string;
  port: number;
  chainId: number;
  process: ChildProcess;
  /** Stops the whole process group. Idempotent. */
  stop(): Promise<void>;
}

/** Spawns `cmd args` in its own process group and waits until `rpcUrl` answers eth_chainId. */
async function spawnChain(
  what: string,
  cmd: string,
  args: string[],
  port: number,
  opts: { logFile?: string; timeoutMs?: number },
): Promise<LocalChain> {
  const fd = opts.logFile ? openSync(opts.logFile, "a") : undefined;
  const child = spawn(cmd, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", fd ?? "ignore", fd ?? "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  if (fd !== undefined) closeSync(fd);
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  // Safety net: a process that exits without calling stop() still kills the chain's group.
  const onExit = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", onExit);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= killGroup(child).finally(() => process.off("exit", onExit)));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    try {
      const chainId = Number(await rpc(rpcUrl, "eth_chainId"));
      return { rpcUrl, port, chainId, process: child, stop };
    } catch {
      if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${what} did not answer on ${rpcUrl} in time: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Starts `hardhat node` on a free port (or `port`) in its own process group; waits until it answers. */
export async function startHardhatNode(
  opts: { port?: number; logFile?: string; timeoutMs?: number } = {},
): Promise<LocalChain> {
  const port = opts.port ?? (await freePort());
  // Hardhat 3 needs Node >= 22: use this process's node when it is one, else go through npx.
  const cli = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const direct = Number(process.versions.node.split(".")[0]) >= 22 && existsSync(cli);
  const [cmd, pre] = direct ? [process.execPath, [cli]] : ["npx", ["hardhat"]];
  const args = [...pre, "node", "--hostname", "127.0.0.1", "--port", String(port)];
  return spawnChain("hardhat node", cmd, args, port, opts);
}

/**
 * Starts ganache 7.9 (hardfork shanghai, chain id 1337, instamine, Hardhat's test mnemonic so
 * that devKey() works) on a free port in its own process group. Deploy to it with
 * `deployDevnet(chain.rpcUrl, { artifacts: shanghaiArtifacts(buildShanghai().build) })`.
 */
export async function startGanache(
  opts: { accounts?: number; logFile?: string; timeoutMs?: number } = {},
): Promise<LocalChain> {
  const port = await freePort();
  const cli = join(ROOT, "node_modules", "ganache", "dist", "node", "cli.js");
  const args = [
    [cli],
    ["--chain.hardfork", "shanghai", "--chain.chainId", "1337"],
    ["--server.host", "127.0.0.1", "--server.port", String(port)],
    ["--wallet.mnemonic", MNEMONIC, "--wallet.totalAccounts", String(opts.accounts ?? 12)],
    ["--wallet.defaultBalance", "1000", "--miner.blockTime", "0", "--logging.quiet"],
  ].flat();
  return spawnChain("ganache", process.execPath, args, port, opts);
}

// ---------------------------------------------------------------- time travel

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function increaseTime(target: Target, seconds: number | bigint): Promise<void> {
  await rpc(target, "evm_increaseTime", [Number(seconds)]);
  await rpc(target, "evm_mine", []);
}
/** Mines `n` empty blocks. */
export async function mine(target: Target, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await rpc(target, "evm_mine", []);
}
/** The latest block's timestamp. */
export async function chainTime(target: Target): Promise<bigint> {
  const b = (await rpc(target, "eth_getBlockByNumber", ["latest", false])) as { timestamp: Hex };
  return BigInt(b.timestamp);
}
/** Moves the clock to just past `timestamp` (no-op when it is already there); returns the seconds moved. */
export async function warpTo(target: Target, timestamp: bigint): Promise<bigint> {
  const now = await chainTime(target);
  if (timestamp + 1n <= now) return 0n;
  const secs = timestamp + 1n - now;
  await increaseTime(target, secs);
  return secs;
}
/** Turns automine on/off (off: transactions wait in the mempool until evm_mine). */
export async function setAutomine(target: Target, on: boolean): Promise<void> {
  await rpc(target, "evm_setAutomine", [on]);
}
/** A block every `ms` milliseconds (0: interval mining off). */
export async function setIntervalMining(target: Target, ms: number): Promise<void> {
  await rpc(target, "evm_setIntervalMining", [ms]);
}

// ---------------------------------------------------------------- artifacts

/**
 * Hardhat's artifacts (artifacts/contracts/**, and the npm sources built as they are:
 * OpenZeppelin's TimelockController), found by contract name. Run `npx hardhat build` first.
 */
export function hardhatArtifacts(root = ROOT): ArtifactResolver {
  const dir = join(root, "artifacts", "contracts");
  const npmDir = join(root, "artifacts", "@openzeppelin", "contracts", "governance");
  let index: Map<string, string> | undefined;
  const find = (name: string): string => {
    if (!index) {
      index = new Map();
      const stack = [npmDir, dir];
      while (stack.length) {
        const d = stack.pop()!;
        if (!existsSync(d)) continue;
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) stack.push(p);
          else if (e.name.endsWith(".json") && !e.name.endsWith(".dbg.json"))
            index.set(e.name.slice(0, -5), p);
        }
      }
    }
    const p = index.get(name);
    if (!p) throw new Error(`no artifact for ${name} in ${dir}: run npx hardhat build`);
    return p;
  };
  return {
    loadArtifact: async (name) => JSON.parse(readFileSync(find(name), "utf8")) as Artifact,
    getBuildInfo: async () => undefined,
  };
}

/** Resolvers of the shanghai build: deployDevnet deploys them without governance (no Cancun, no Governor). */
const SHANGHAI_RESOLVERS = new WeakSet<ArtifactResolver>();

/**
 * The shanghai build (test/support/shanghai.ts) as Ignition artifacts: ganache's exception to
 * artifacts/. It has no OmniGovernor (OpenZeppelin 5.4's Governor needs Cancun's mcopy), so
 * deployDevnet deploys the protocol without governance from it.
 */
export function shanghaiArtifacts(build: ShanghaiBuild): ArtifactResolver {
  const resolver: ArtifactResolver = {
    async loadArtifact(name) {
      const c = build.contracts[name];
      if (!c) throw new Error(`${name} is not in the shanghai build`);
      return { _format: "shanghai", ...c, deployedLinkReferences: {} };
    },
    getBuildInfo: async () => undefined,
  };
  SHANGHAI_RESOLVERS.add(resolver);
  return resolver;
}

// ---------------------------------------------------------------- deployment (Ignition only)

export interface DeployOptions {
  /** Where the bytecode comes from. Default: Hardhat's artifacts/. */
  artifacts?: ArtifactResolver;
  /** Hardhat account index of the deployer (owner and treasury). Default 0. */
  deployerIndex?: number;
  /** Also deploy an ExampleConsumer for the TaskManager. */
  consumer?: boolean;
  /**
   * Hand NodeStaking and TaskManager to the governance timelock, as every shared network does
   * (PROTOCOL.md §10). Default false: the deployer stays owner, as on a local devnet.
   */
  handover?: boolean;
  /** Governance parameters (module "OmniTensor"); default: localGovernance(). The shanghai build deploys no governance. */
  governance?: Partial<GovernanceParameters>;
}

/** The governance parameters of the Ignition module (deploy/modules/OmniTensor.ts). */
export interface GovernanceParameters {
  votingDelay: bigint;
  votingPeriod: bigint;
  proposalThreshold: bigint;
  quorumPercent: bigint;
  timelockDelay: bigint;
}

/** The local chain's governance parameters: deploy/parameters/localhost.json (what `npm run deploy -- --network localhost` uses). */
export function localGovernance(): GovernanceParameters {
  const raw = JSON.parse(readFileSync(join(ROOT, "deploy", "parameters", "localhost.json"), "utf8")) as {
    OmniTensor: Record<keyof GovernanceParameters, number | string>;
  };
  const big = (v: number | string) => BigInt(typeof v === "string" ? v.replace(/n$/, "") : v);
  const p = raw.OmniTensor;
  return {
    votingDelay: big(p.votingDelay),
    votingPeriod: big(p.votingPeriod),
    proposalThreshold: big(p.proposalThreshold),
    quorumPercent: big(p.quorumPercent),
    timelockDelay: big(p.timelockDelay),
  };
}

/** A deployment and everything else Ignition deployed: the libraries, the consumer. */
export interface DevnetDeployment {
  deployment: Deployment;
  /** Every contract Ignition deployed, by future name (OmniToken, TaskLifecycle, …, ExampleConsumer). */
  addresses: Record<string, Address>;
  /** TaskLifecycle, TaskCommits, TaskSettlement. */
  libraries: Record<string, Address>;
  consumer?: Address;
}

const LIBRARIES = ["TaskLifecycle", "TaskCommits", "TaskSettlement"];

/** The project's module, plus an ExampleConsumer. */
const devnetModule = (core: typeof OmniTensorModule | typeof OmniTensorCoreModule) =>
  buildModule("OmniTensorDevnet", (m) => {
    const c = m.useModule(core);
    const consumer = m.contract("ExampleConsumer", [c.taskManager]);
    return { ...c, consumer };
  });
const DevnetModule = devnetModule(OmniTensorModule);
const DevnetHandoverModule = devnetModule(OmniTensorHandoverModule);
const DevnetCoreModule = devnetModule(OmniTensorCoreModule);

/** Records the address of every contract a deployment creates (futures `Module#Name`). */
function addressRecorder(into: Record<string, Address>): ExecutionEventListener {
  const onComplete = (e: { futureId: string; result: { type: string; result?: string } }) => {
    if (
      e.result.type === "SUCCESS" &&
      typeof e.result.result === "string" &&
      /^0x[0-9a-fA-F]{40}$/.test(e.result.result)
    )
      into[e.futureId.split("#").pop()!] = getAddress(e.result.result);
  };
  return new Proxy({} as ExecutionEventListener, {
    get: (_t, prop) => (prop === "deploymentExecutionStateComplete" ? onComplete : () => {}),
  });
}

/** Runs an Ignition module on `target` (in memory: no journal) and returns what it deployed. */
export async function runIgnition(
  target: Target,
  module: IgnitionModule,
  opts: {
    artifacts?: ArtifactResolver;
    deployerIndex?: number;
    parameters?: DeploymentParameters[string];
    /** Parameters of the modules it uses, by module id (e.g. "OmniTensor"). */
    moduleParameters?: DeploymentParameters;
  } = {},
): Promise<Record<string, Address>> {
  const provider = providerOf(target);
  const accounts = ((await provider.request({ method: "eth_accounts" })) as string[]).map((a) =>
    a.toLowerCase(),
  );
  const deployer = devAddress(opts.deployerIndex ?? 0).toLowerCase();
  if (!accounts.includes(deployer)) throw new Error(`the chain does not unlock the deployer ${deployer}`);
  const addresses: Record<string, Address> = {};
  const result = await ignitionDeploy({
    provider,
    artifactResolver: opts.artifacts ?? hardhatArtifacts(),
    ignitionModule: module,
    // m.getAccount(0) is the deployer: put it first.
    accounts: [deployer, ...accounts.filter((a) => a !== deployer)],
    deploymentParameters: {
      ...opts.moduleParameters,
      [module.id]: { ...opts.moduleParameters?.[module.id], ...opts.parameters },
    },
    executionEventListener: addressRecorder(addresses),
    config: { blockPollingInterval: 50, requiredConfirmations: 1 },
  });
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT)
    throw new Error(`Ignition deployment of ${module.id} failed: ${JSON.stringify(result, null, 1)}`);
  return addresses;
}

/**
 * Deploys OmniToken, NodeStaking, ModelRegistry, the TaskManager's libraries, TaskManager,
 * TimelockController and OmniGovernor through the Ignition module deploy/modules/OmniTensor.ts
 * (and an ExampleConsumer when asked); with `handover` the timelock ends up owning NodeStaking and
 * TaskManager.
 */
export async function deployDevnet(target: Target, opts: DeployOptions = {}): Promise<DevnetDeployment> {
  const chainId = Number(await rpc(target, "eth_chainId"));
  const startBlock = Number(await rpc(target, "eth_blockNumber")) + 1;
  const withGovernance = !(opts.artifacts && SHANGHAI_RESOLVERS.has(opts.artifacts));
  if (opts.handover && !withGovernance)
    throw new Error("the shanghai build has no governance to hand over to");
  const [plain, consumer] = !withGovernance
    ? [OmniTensorCoreModule, DevnetCoreModule]
    : opts.handover
      ? [OmniTensorHandoverModule, DevnetHandoverModule]
      : [OmniTensorModule, DevnetModule];
  const module = opts.consumer ? consumer : plain;
  const governance = { ...localGovernance(), ...opts.governance };
  const addresses = await runIgnition(target, module as unknown as IgnitionModule, {
    ...opts,
    moduleParameters: withGovernance ? { OmniTensor: { ...governance } } : {},
  });
  const get = (name: string): Address => {
    const a = addresses[name];
    if (!a) throw new Error(`Ignition deployed no ${name} (got ${Object.keys(addresses).join(", ")})`);
    return a;
  };
  const deployment: Deployment = {
    chainId,
    startBlock,
    contracts: {
      OmniToken: get("OmniToken"),
      NodeStaking: get("NodeStaking"),
      ModelRegistry: get("ModelRegistry"),
      TaskManager: get("TaskManager"),
      ...(withGovernance
        ? { OmniGovernor: get("OmniGovernor"), TimelockController: get("TimelockController") }
        : {}),
    },
  };
  const libraries = Object.fromEntries(LIBRARIES.map((n) => [n, get(n)]));
  return { deployment, addresses, libraries, consumer: opts.consumer ? get("ExampleConsumer") : undefined };
}

/** The protocol's contracts, deployed through the Ignition module; returns the deployment (PROTOCOL.md §10 shape). */
export async function deployOmniTensor(target: Target, opts: DeployOptions = {}): Promise<Deployment> {
  return (await deployDevnet(target, opts)).deployment;
}

let singleModules = 0;

/** Deploys one contract of artifacts/ (e.g. OmniToken alone for a unit test) through a one-future Ignition module. */
export async function deployContract(
  target: Target,
  name: string,
  args: unknown[] = [],
  opts: { artifacts?: ArtifactResolver; deployerIndex?: number } = {},
): Promise<Address> {
  const id = `Single${name}${++singleModules}`;
  const module = buildModule(id, (m) => ({ c: m.contract(name, args as never[]) }));
  const addresses = await runIgnition(target, module as unknown as IgnitionModule, opts);
  return addresses[name] ?? addresses.c;
}

// ---------------------------------------------------------------- set-up transactions

/** An account: a Hardhat default account's index, or a private key. */
export type Who = number | Hex;

/** viem clients for account `who` (signing locally) on chain `chainId` reached through `target`. */
export function clientsOn(target: Target, who: Who, chainId: number) {
  const url = typeof target === "string" ? target : "http://in-process";
  const chain: Chain = defineChain({
    id: chainId,
    name: `devnet-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  // No retries: viem probes methods a chain may lack (eth_fillTransaction), and each retry costs a second.
  const transport = custom(providerOf(target), { retryCount: 0 });
  const account = privateKeyToAccount(typeof who === "number" ? devKey(who) : who);
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }) as PublicClient,
    walletClient: createWalletClient({ chain, transport, account }),
  };
}

/** clientsOn, asking the chain for its id when it is not given. */
export async function clientsFor(target: Target, who: Who, chainId?: number) {
  return clientsOn(target, who, chainId ?? Number(await rpc(target, "eth_chainId")));
}

/** Sends one contract call from account `who` and waits for its receipt; throws when it reverts. */
export async function sendAs(
  target: Target,
  who: Who,
  to: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
  chainId?: number,
) {
  const { publicClient, walletClient } = await clientsFor(target, who, chainId);
  const hash = await walletClient.writeContract({
    address: to,
    abi,
    functionName,
    args,
    chain: walletClient.chain,
    account: walletClient.account,
  } as Parameters<typeof walletClient.writeContract>[0]);
  const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (r.status !== "success")
    throw new Error(`${functionName} by ${walletClient.account.address} reverted (tx ${hash})`);
  return r;
}

/** Sends `amount` OMNIT from the treasury (account `from`, default 0) to each address. */
export async function transferOmnit(
  target: Target,
  d: Deployment,
  to: Address[],
  amount: bigint,
  from: Who = 0,
): Promise<void> {
  for (const a of to)
    await sendAs(target, from, d.contracts.OmniToken, omniTokenAbi, "transfer", [a, amount], d.chainId);
}

export interface NodeSetup {
  /** Hardhat account index of the node. */
  index: number;
  /** Role bits: 1 compute, 2 validator, 3 both. */
  roles: number;
  /** OMNIT staked (wei). */
  stake: bigint;
  /** Extra OMNIT left in the wallet (wei). Default 0. */
  spare?: bigint;
}

/** Sends OMNIT from the deployer (treasury) to each node and stakes it with the given roles. */
export async function fundAndStake(
  target: Target,
  d: Deployment,
  nodes: NodeSetup[],
  deployerIndex: Who = 0,
): Promise<void> {
  const { OmniToken, NodeStaking } = d.contracts;
  for (const n of nodes) {
    const amount = n.stake + (n.spare ?? 0n);
    await transferOmnit(target, d, [devAddress(n.index)], amount, deployerIndex);
    await sendAs(target, n.index, OmniToken, omniTokenAbi, "approve", [NodeStaking, n.stake], d.chainId);
    const args = [n.stake, n.roles, `node-${n.index}`];
    await sendAs(target, n.index, NodeStaking, nodeStakingAbi, "stake", args, d.chainId);
  }
}

/** Registers a model from account `owner`; returns its modelId. */
export async function registerModel(
  target: Target,
  d: Deployment,
  owner: Who,
  model: { onnxSha256: Hex; spec: string; uri?: string; royaltyBps?: number },
): Promise<Hex> {
  const { ModelRegistry } = d.contracts;
  const args = [model.onnxSha256, model.uri ?? "file://model.onnx", model.spec, model.royaltyBps ?? 0];
  await sendAs(target, owner, ModelRegistry, modelRegistryAbi, "registerModel", args, d.chainId);
  const { publicClient, walletClient } = await clientsFor(target, owner, d.chainId);
  // The owner is part of the id (PROTOCOL.md §9, v4).
  return publicClient.readContract({
    address: ModelRegistry,
    abi: modelRegistryAbi,
    functionName: "modelIdOf",
    args: [walletClient.account.address, model.onnxSha256, model.spec],
  });
}

/** A requester (or any account, by private key) talking to the deployment over `target`. */
export function actor(target: Target, d: Deployment, key: Hex) {
  const { publicClient } = clientsOn(target, key, d.chainId);
  const address = privateKeyToAccount(key).address;
  const send = (to: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
    sendAs(target, key, to, abi, functionName, args, d.chainId);
  const read = <T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
    publicClient.readContract({ address: to, abi, functionName, args }) as Promise<T>;
  return {
    address,
    publicClient,
    send,
    read,
    tm: <T>(fn: string, args: readonly unknown[] = []) =>
      read<T>(d.contracts.TaskManager, taskManagerAbi as Abi, fn, args),
    balanceOf: (a: Address) => read<bigint>(d.contracts.OmniToken, omniTokenAbi as Abi, "balanceOf", [a]),
    registerModel: (onnxSha256: Hex, spec: string) => registerModel(target, d, key, { onnxSha256, spec }),
    async createTask(req: {
      modelId: Hex;
      input: string;
      reward: bigint;
      redundancy: number;
      resultKey: Hex;
    }) {
      const bytes = new TextEncoder().encode(req.input);
      await send(d.contracts.OmniToken, omniTokenAbi, "approve", [d.contracts.TaskManager, req.reward * 3n]);
      await send(d.contracts.TaskManager, taskManagerAbi, "createTask", [
        {
          modelId: req.modelId,
          input: toHex(bytes),
          inputURI: "",
          inputHash: keccak256(bytes),
          reward: req.reward,
          redundancy: req.redundancy,
          resultKey: req.resultKey,
          callback: "0x0000000000000000000000000000000000000000",
          callbackGasLimit: 0,
          disputer: "0x0000000000000000000000000000000000000000",
        },
      ]);
      return read<bigint>(d.contracts.TaskManager, taskManagerAbi as Abi, "taskCount");
    },
  };
}

// ---------------------------------------------------------------- waiting

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws `what`). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
