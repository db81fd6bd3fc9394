/**
 * The ganache chain of the lifecycle test (issue 7: a second EVM client independent of
 * Hardhat's EDR). Starting ganache and deploying go through the one devnet harness
 * (test/support/devnet.ts): ganache 7.9 (shanghai) in its own process group, and the Ignition
 * module deploy/modules/OmniTensor.ts with the shanghai build (test/support/shanghai.ts) as its
 * artifacts. What stays here: viem clients for it and sends with an explicit gas limit.
 * Importing this module has no side effects.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Abi,
  type Address,
  type Chain,
  type PublicClient,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  deployDevnet,
  devKey,
  rpc,
  shanghaiArtifacts,
  startGanache as startGanacheProcess,
  type LocalChain,
} from "../support/devnet.ts";
import { buildShanghai, type ShanghaiBuild } from "../support/shanghai.ts";

export interface GanacheChain extends LocalChain {
  chain: Chain;
  pub: PublicClient;
  /** Raw JSON-RPC. */
  rpc(method: string, params?: unknown[]): Promise<unknown>;
}

/** Starts ganache (shanghai) on a free port and waits until it answers. */
export async function startGanache(
  opts: { accounts?: number; timeoutMs?: number } = {},
): Promise<GanacheChain> {
  const g = await startGanacheProcess(opts);
  const chain = defineChain({
    id: g.chainId,
    name: "ganache",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [g.rpcUrl] } },
  });
  const pub = createPublicClient({ chain, transport: http(g.rpcUrl), pollingInterval: 20 }) as PublicClient;
  return { ...g, chain, pub, rpc: (m, p) => rpc(g.rpcUrl, m, p) };
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
 * Deploys the shanghai build through the Ignition module (OmniToken, NodeStaking,
 * ModelRegistry, the TaskManager's libraries, TaskManager, NodeStaking.setTaskManager) plus an
 * ExampleConsumer, from account `ownerIndex`.
 */
export async function deployShanghai(g: GanacheChain, ownerIndex = 0): Promise<GanacheDeployment> {
  const { build, ms, cached } = buildShanghai();
  const abiOf = (name: string): Abi => {
    const c = build.contracts[name];
    if (!c) throw new Error(`${name} is not in the shanghai build`);
    return c.abi;
  };
  const r = await deployDevnet(g.rpcUrl, {
    artifacts: shanghaiArtifacts(build),
    deployerIndex: ownerIndex,
    consumer: true,
  });
  const c = r.deployment.contracts;
  return {
    build,
    buildMs: ms,
    buildCached: cached,
    token: c.OmniToken,
    staking: c.NodeStaking,
    registry: c.ModelRegistry,
    tm: c.TaskManager,
    consumer: r.consumer!,
    libraries: r.libraries,
    abi: {
      token: abiOf("OmniToken"),
      staking: abiOf("NodeStaking"),
      registry: abiOf("ModelRegistry"),
      tm: abiOf("TaskManager"),
      consumer: abiOf("ExampleConsumer"),
    },
  };
}
