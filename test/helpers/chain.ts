/**
 * A local chain for tests, benchmarks and the demo: starts `npx hardhat node` on a free port in
 * its own process group, deploys the four contracts from Hardhat's artifacts/ (linking
 * libraries), funds and stakes accounts, and stops the whole group. Importing this module has
 * no side effects.
 *
 *   const chain = await startHardhatNode();
 *   const d = await deployOmniTensor(chain.rpcUrl);
 *   await fundAndStake(chain.rpcUrl, d, [{ index: 1, roles: 1, stake: parseEther("20000") }]);
 *   ...
 *   await chain.stop();
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, openSync, readdirSync, readFileSync, closeSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  getAddress,
  http,
  parseEther,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { chainFor } from "../../workers/src/chain/clients.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import { nodeStakingAbi, omniTokenAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of Hardhat's default account `index` (the node funds 20 with 10,000 ETH each). */
export function devKey(index: number): Hex {
  const hd = mnemonicToAccount(MNEMONIC, { addressIndex: index }).getHdKey();
  return `0x${Buffer.from(hd.privateKey!).toString("hex")}` as Hex;
}
export function devAddress(index: number): Address {
  return privateKeyToAccount(devKey(index)).address;
}

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

export interface LocalChain {
  rpcUrl: string;
  port: number;
  chainId: number;
  /** The node process (its own process group). */
  process: ChildProcess;
  /** Stops the node's whole process group. Idempotent. */
  stop(): Promise<void>;
}

/** One JSON-RPC call (for the dev methods viem has no action for: evm_mine, evm_setIntervalMining, …). */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`${method}: ${j.error.message}`);
  return j.result;
}

/** Starts `npx hardhat node` on a free port (or `port`), waits until it answers. */
export async function startHardhatNode(
  opts: { port?: number; logFile?: string; timeoutMs?: number } = {},
): Promise<LocalChain> {
  const port = opts.port ?? (await freePort());
  const fd = opts.logFile ? openSync(opts.logFile, "a") : undefined;
  // Hardhat 3 needs Node >= 22: use this process's node when it is one, else go through npx.
  const cli = join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const direct = Number(process.versions.node.split(".")[0]) >= 22 && existsSync(cli);
  const [cmd, pre] = direct ? [process.execPath, [cli]] : ["npx", ["hardhat"]];
  const child = spawn(cmd, [...pre, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", fd ?? "ignore", fd ?? "ignore"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  if (fd !== undefined) closeSync(fd);
  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let stopped: Promise<void> | undefined;
  // Safety net: a test process that exits without calling stop() still kills the node's group.
  const onExit = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", onExit);
  const stop = () => (stopped ??= killGroup(child).finally(() => process.off("exit", onExit)));
  for (;;) {
    try {
      const id = await rpc(rpcUrl, "eth_chainId");
      return { rpcUrl, port, chainId: Number(id), process: child, stop };
    } catch {
      if (child.exitCode !== null)
        throw new Error(`hardhat node exited with code ${child.exitCode} before answering`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`hardhat node did not answer on ${rpcUrl} in time`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function increaseTime(rpcUrl: string, seconds: number | bigint): Promise<void> {
  await rpc(rpcUrl, "evm_increaseTime", [Number(seconds)]);
  await rpc(rpcUrl, "evm_mine", []);
}
/** Mines `n` empty blocks. */
export async function mine(rpcUrl: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await rpc(rpcUrl, "evm_mine", []);
}
/** The latest block's timestamp. */
export async function chainTime(rpcUrl: string): Promise<bigint> {
  const b = (await rpc(rpcUrl, "eth_getBlockByNumber", ["latest", false])) as { timestamp: Hex };
  return BigInt(b.timestamp);
}
/** Turns automine on/off (off: transactions wait in the mempool until evm_mine). */
export async function setAutomine(rpcUrl: string, on: boolean): Promise<void> {
  await rpc(rpcUrl, "evm_setAutomine", [on]);
}

interface Artifact {
  contractName: string;
  sourceName: string;
  abi: Abi;
  bytecode: Hex;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

function findArtifact(name: string): Artifact {
  const stack = [join(ROOT, "artifacts", "contracts")];
  while (stack.length) {
    const dir = stack.pop()!;
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name === `${name}.json`) return JSON.parse(readFileSync(p, "utf8")) as Artifact;
    }
  }
  throw new Error(`no artifact for ${name}: run npx hardhat build`);
}

/** Deploys contract `name` from artifacts/, deploying and linking its libraries first. */
export async function deployArtifact(
  rpcUrl: string,
  deployer: Hex,
  name: string,
  args: readonly unknown[] = [],
  libs: Map<string, Address> = new Map(),
): Promise<Address> {
  const art = findArtifact(name);
  let bytecode = art.bytecode;
  for (const [source, byName] of Object.entries(art.linkReferences ?? {})) {
    for (const [lib, refs] of Object.entries(byName)) {
      const key = `${source}:${lib}`;
      let addr = libs.get(key);
      if (!addr) {
        addr = await deployArtifact(rpcUrl, deployer, lib, [], libs);
        libs.set(key, addr);
      }
      for (const ref of refs) {
        const start = 2 + ref.start * 2;
        bytecode = (bytecode.slice(0, start) +
          addr.slice(2).toLowerCase() +
          bytecode.slice(start + ref.length * 2)) as Hex;
      }
    }
  }
  const { publicClient, walletClient } = clientsFor(rpcUrl, deployer, await chainIdOf(rpcUrl));
  const hash = await walletClient.deployContract({
    abi: art.abi,
    bytecode,
    args: args as unknown[],
    chain: walletClient.chain,
    account: walletClient.account!,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
  if (!receipt.contractAddress) throw new Error(`deploying ${name} failed`);
  return getAddress(receipt.contractAddress);
}

async function chainIdOf(rpcUrl: string): Promise<number> {
  return Number(await rpc(rpcUrl, "eth_chainId"));
}

function clientsFor(rpcUrl: string, key: Hex, chainId: number) {
  const chain = chainFor(chainId, rpcUrl);
  const transport = http(rpcUrl);
  return {
    publicClient: createPublicClient({ chain, transport, pollingInterval: 50 }) as PublicClient,
    walletClient: createWalletClient({ chain, transport, account: privateKeyToAccount(key) }),
  };
}

/** Owner-only parameter setters called after the deployment, e.g. `{ setMinStake: 1000n }` on NodeStaking. */
export interface DeployOptions {
  /** Hardhat account index of the deployer (owner and treasury). Default 0. */
  deployerIndex?: number;
  /** TaskManager setters to call: `{ setSeatWindow: 3600n, ... }`. */
  taskManagerParams?: Record<string, bigint>;
  /** NodeStaking setters to call. */
  stakingParams?: Record<string, bigint>;
}

/**
 * Deploys OmniToken, NodeStaking, ModelRegistry and TaskManager (libraries linked) as the
 * Ignition module does, and returns the deployment (PROTOCOL.md §10 shape).
 */
export async function deployOmniTensor(rpcUrl: string, opts: DeployOptions = {}): Promise<Deployment> {
  const key = devKey(opts.deployerIndex ?? 0);
  const owner = privateKeyToAccount(key).address;
  const chainId = await chainIdOf(rpcUrl);
  const { publicClient, walletClient } = clientsFor(rpcUrl, key, chainId);
  const startBlock = Number(await publicClient.getBlockNumber()) + 1;
  const token = await deployArtifact(rpcUrl, key, "OmniToken", [owner]);
  const staking = await deployArtifact(rpcUrl, key, "NodeStaking", [token, owner]);
  const registry = await deployArtifact(rpcUrl, key, "ModelRegistry", []);
  const taskManager = await deployArtifact(
    rpcUrl,
    key,
    "TaskManager",
    taskManagerConstructorArgs({ token, staking, registry, owner }),
  );
  const send = async (address: Address, abi: Abi, functionName: string, args: readonly unknown[]) => {
    const hash = await walletClient.writeContract({
      address,
      abi,
      functionName,
      args,
      chain: walletClient.chain,
      account: walletClient.account!,
    } as Parameters<typeof walletClient.writeContract>[0]);
    const r = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`${functionName} reverted`);
  };
  await send(staking, nodeStakingAbi as Abi, "setTaskManager", [taskManager]);
  for (const [fn, v] of Object.entries(opts.stakingParams ?? {}))
    await send(staking, nodeStakingAbi as Abi, fn, [v]);
  for (const [fn, v] of Object.entries(opts.taskManagerParams ?? {}))
    await send(taskManager, taskManagerAbi as Abi, fn, [v]);
  return {
    chainId,
    startBlock,
    contracts: { OmniToken: token, NodeStaking: staking, ModelRegistry: registry, TaskManager: taskManager },
  };
}

/** The TaskManager's constructor arguments, in the order its ABI declares them. */
function taskManagerConstructorArgs(a: {
  token: Address;
  staking: Address;
  registry: Address;
  owner: Address;
}): unknown[] {
  const ctor = (taskManagerAbi as Abi).find((x) => x.type === "constructor");
  if (!ctor || ctor.type !== "constructor") return [a.token, a.staking, a.registry, a.owner];
  return ctor.inputs.map((i) => {
    const n = (i.name ?? "").toLowerCase().replace(/_/g, "");
    if (n.includes("token")) return a.token;
    if (n.includes("staking")) return a.staking;
    if (n.includes("registry")) return a.registry;
    if (n.includes("owner") || n.includes("admin") || n.includes("treasury")) return a.owner;
    throw new Error(`deployOmniTensor: unknown TaskManager constructor argument "${i.name}"`);
  });
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
  rpcUrl: string,
  d: Deployment,
  nodes: NodeSetup[],
  deployerIndex = 0,
): Promise<void> {
  const chainId = d.chainId;
  const treasury = clientsFor(rpcUrl, devKey(deployerIndex), chainId);
  for (const n of nodes) {
    const addr = devAddress(n.index);
    const hash = await treasury.walletClient.writeContract({
      address: d.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "transfer",
      args: [addr, n.stake + (n.spare ?? 0n)],
      chain: treasury.walletClient.chain,
      account: treasury.walletClient.account!,
    });
    await treasury.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    const node = clientsFor(rpcUrl, devKey(n.index), chainId);
    const h1 = await node.walletClient.writeContract({
      address: d.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "approve",
      args: [d.contracts.NodeStaking, n.stake],
      chain: node.walletClient.chain,
      account: node.walletClient.account!,
    });
    await node.publicClient.waitForTransactionReceipt({ hash: h1, pollingInterval: 50 });
    const h2 = await node.walletClient.writeContract({
      address: d.contracts.NodeStaking,
      abi: nodeStakingAbi as Abi,
      functionName: "stake",
      args: [n.stake, n.roles, `node-${n.index}`],
      chain: node.walletClient.chain,
      account: node.walletClient.account!,
    } as Parameters<typeof node.walletClient.writeContract>[0]);
    const r = await node.publicClient.waitForTransactionReceipt({ hash: h2, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`stake of account ${n.index} reverted`);
  }
}

export { parseEther };
