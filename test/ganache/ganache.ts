/**
 * A ganache chain (the second, independent EVM client of issue 7) for tests: starts
 * `ganache` 7.9 as a separate process in its own process group (hardfork shanghai, instamine,
 * Hardhat's test mnemonic so that test/helpers/chain.ts's devKey works), deploys the contracts
 * compiled for shanghai by scripts/build-shanghai.ts (linking the TaskManager's libraries), and
 * stops the whole group. Importing this module has no side effects.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  type Abi,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { buildShanghai, type ShanghaiBuild, type ShanghaiContract } from "../../scripts/build-shanghai.ts";
import { devKey, freePort, killGroup } from "../helpers/chain.ts";

const ROOT = resolve(import.meta.dirname, "..", "..");
const MNEMONIC = "test test test test test test test test test test test junk";

export interface GanacheChain {
  rpcUrl: string;
  chainId: number;
  chain: Chain;
  process: ChildProcess;
  pub: PublicClient;
  /** Raw JSON-RPC. */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Stops ganache's whole process group. Idempotent. */
  stop(): Promise<void>;
}

async function rawRpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const j = (await r.json()) as { result?: unknown; error?: { message: string } };
  if (j.error) throw new Error(`ganache ${method}: ${j.error.message}`);
  return j.result;
}

/** Starts ganache (shanghai) on a free port and waits until it answers. */
export async function startGanache(
  opts: { accounts?: number; timeoutMs?: number } = {},
): Promise<GanacheChain> {
  const port = await freePort();
  const cli = join(ROOT, "node_modules", "ganache", "dist", "node", "cli.js");
  const args = [
    cli,
    "--chain.hardfork",
    "shanghai",
    "--chain.chainId",
    "1337",
    "--server.host",
    "127.0.0.1",
    "--server.port",
    String(port),
    "--wallet.mnemonic",
    MNEMONIC,
    "--wallet.totalAccounts",
    String(opts.accounts ?? 12),
    "--wallet.defaultBalance",
    "1000",
    "--miner.blockTime",
    "0",
    "--logging.quiet",
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4000);
  });
  const rpcUrl = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= killGroup(child));
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let chainId: number;
  for (;;) {
    try {
      chainId = Number(await rawRpc(rpcUrl, "eth_chainId"));
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`ganache exited with code ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`ganache did not answer on ${rpcUrl} in time: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const chain = defineChain({
    id: chainId,
    name: "ganache",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const pub = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 20 }) as PublicClient;
  return { rpcUrl, chainId, chain, process: child, pub, rpc: (m, p) => rawRpc(rpcUrl, m, p), stop };
}

/** Explicit gas for every transaction: ganache underestimates calls that depend on block.timestamp. */
export const GAS = 3_000_000n;

/** Sends a contract call from Hardhat account `from` with an explicit gas limit; throws when it reverts. */
export async function send(
  g: GanacheChain,
  from: number,
  to: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[] = [],
  gas: bigint = GAS,
): Promise<TransactionReceipt> {
  const w = createWalletClient({
    chain: g.chain,
    transport: http(g.rpcUrl),
    account: privateKeyToAccount(devKey(from)),
  });
  const hash = await w.writeContract({
    address: to,
    abi,
    functionName,
    args,
    gas,
    chain: g.chain,
    account: w.account,
  } as Parameters<typeof w.writeContract>[0]);
  const r = await g.pub.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (r.status !== "success")
    throw new Error(`${functionName} from account ${from} reverted on ganache (tx ${hash})`);
  return r;
}

/** Reads a view. */
export async function read<T>(
  g: GanacheChain,
  to: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[] = [],
): Promise<T> {
  return (await g.pub.readContract({ address: to, abi, functionName, args })) as T;
}

/** Deploys `c` from account `from`, linking libraries from `libs` (deploying missing ones first). */
export async function deployContract(
  g: GanacheChain,
  build: ShanghaiBuild,
  c: ShanghaiContract,
  from: number,
  args: readonly unknown[] = [],
  libs: Map<string, Address> = new Map(),
): Promise<Address> {
  let bytecode = c.bytecode;
  for (const [source, byName] of Object.entries(c.linkReferences)) {
    for (const [lib, refs] of Object.entries(byName)) {
      const key = `${source}:${lib}`;
      let addr = libs.get(key);
      if (!addr) {
        const libContract = build.contracts[lib];
        if (!libContract) throw new Error(`library ${lib} is not in the shanghai build`);
        addr = await deployContract(g, build, libContract, from, [], libs);
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
  if (bytecode.includes("__$")) throw new Error(`${c.contractName}: unlinked library placeholder left`);
  const w = createWalletClient({
    chain: g.chain,
    transport: http(g.rpcUrl),
    account: privateKeyToAccount(devKey(from)),
  });
  const hash = await w.deployContract({
    abi: c.abi,
    bytecode,
    args: args as unknown[],
    gas: 12_000_000n,
    chain: g.chain,
    account: w.account,
  });
  const r = await g.pub.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (r.status !== "success" || !r.contractAddress)
    throw new Error(`deploying ${c.contractName} failed on ganache`);
  return getAddress(r.contractAddress);
}

export interface GanacheDeployment {
  build: ShanghaiBuild;
  /** Milliseconds spent getting the shanghai build (compile, or read from cache/shanghai). */
  buildMs: number;
  buildCached: boolean;
  token: Address;
  staking: Address;
  registry: Address;
  tm: Address;
  consumer: Address;
  /** The three libraries, by name. */
  libraries: Record<string, Address>;
  abi: { token: Abi; staking: Abi; registry: Abi; tm: Abi; consumer: Abi };
}

/**
 * Deploys OmniToken(treasury = owner) → NodeStaking(token, owner) → ModelRegistry() → the
 * TaskManager's libraries → TaskManager(token, staking, registry, treasury, owner) →
 * ExampleConsumer(taskManager), and calls NodeStaking.setTaskManager, as the Ignition module does.
 */
export async function deployShanghai(g: GanacheChain, ownerIndex = 0): Promise<GanacheDeployment> {
  const { build, ms, cached } = buildShanghai();
  const get = (name: string) => {
    const c = build.contracts[name];
    if (!c) throw new Error(`${name} is not in the shanghai build`);
    return c;
  };
  const owner = privateKeyToAccount(devKey(ownerIndex)).address;
  const token = await deployContract(g, build, get("OmniToken"), ownerIndex, [owner]);
  const staking = await deployContract(g, build, get("NodeStaking"), ownerIndex, [token, owner]);
  const registry = await deployContract(g, build, get("ModelRegistry"), ownerIndex, []);
  const libs = new Map<string, Address>();
  const tm = await deployContract(
    g,
    build,
    get("TaskManager"),
    ownerIndex,
    [token, staking, registry, owner, owner],
    libs,
  );
  const consumer = await deployContract(g, build, get("ExampleConsumer"), ownerIndex, [tm]);
  const abi = {
    token: get("OmniToken").abi,
    staking: get("NodeStaking").abi,
    registry: get("ModelRegistry").abi,
    tm: get("TaskManager").abi,
    consumer: get("ExampleConsumer").abi,
  };
  await send(g, ownerIndex, staking, abi.staking, "setTaskManager", [tm]);
  const libraries = Object.fromEntries([...libs].map(([k, v]) => [k.split(":").pop()!, v]));
  return { build, buildMs: ms, buildCached: cached, token, staking, registry, tm, consumer, libraries, abi };
}
