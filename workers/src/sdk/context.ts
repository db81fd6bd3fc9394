/** What every SDK action takes: viem clients and the deployment's addresses. */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  formatEther,
  http,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainFor } from "../chain/clients.ts";
import { revertName } from "../chain/errors.ts";
import type { ContractWrite, WriteName } from "../chain/write.ts";
import { modelRegistryAbi, nodeStakingAbi, omniTokenAbi, taskManagerAbi } from "../chain/abis.ts";
import { DeploymentError, loadDeployment, type Deployment } from "../chain/deployment.ts";
import {
  ContractRevertError,
  InsufficientFundsError,
  MissingAccountError,
  NoDeploymentError,
  RpcUnreachableError,
} from "./errors.ts";

export type { Deployment } from "../chain/deployment.ts";

/** The clients and addresses an action needs. `walletClient` is required only by actions that send. */
export interface OmniTensorContext {
  publicClient: PublicClient<Transport, Chain>;
  walletClient?: WalletClient<Transport, Chain, Account>;
  deployment: Deployment;
  /** Receipt and event polling interval in ms (default 1000; tests use less). */
  pollingIntervalMs?: number;
}

export interface ConnectOptions {
  /** JSON-RPC URL (default: RPC_URL or http://127.0.0.1:8545). */
  rpcUrl?: string;
  /** Private key of the account that sends transactions; none for read-only use. */
  privateKey?: Hex;
  /** Use this deployment instead of loading one (from the environment or deployments/<chainId>.json). */
  deployment?: Deployment;
  /** Folder of the `<chainId>.json` deployment files (default ./deployments). */
  deploymentDir?: string;
  pollingIntervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A minimal chain definition for any EVM chain reached through `rpcUrl` (shared with the bots). */
export { chainFor };

/** The default RPC URL: `RPC_URL`, else a local node. */
export function defaultRpcUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.RPC_URL || "http://127.0.0.1:8545";
}

/**
 * Connects to the chain at `rpcUrl`, finds its OmniTensor deployment, checks that the
 * TaskManager has code there, and returns the context for the actions. Throws
 * `RpcUnreachableError` or `NoDeploymentError` with what to do.
 */
export async function connect(opts: ConnectOptions = {}): Promise<OmniTensorContext> {
  const env = opts.env ?? process.env;
  const rpcUrl = opts.rpcUrl ?? defaultRpcUrl(env);
  const probe = createPublicClient({ transport: http(rpcUrl, { timeout: 5000, retryCount: 0 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (e) {
    throw new RpcUnreachableError(
      rpcUrl,
      e,
      "start a node (npm run node) or pass --rpc / set RPC_URL to a JSON-RPC endpoint",
    );
  }
  let deployment: Deployment;
  if (opts.deployment) {
    if (opts.deployment.chainId !== chainId)
      throw new NoDeploymentError(chainId, `the deployment given is for chain ${opts.deployment.chainId}`);
    deployment = opts.deployment;
  } else {
    try {
      deployment = await loadDeployment(chainId, { dir: opts.deploymentDir, env });
    } catch (e) {
      if (e instanceof DeploymentError) throw new NoDeploymentError(chainId, e.message.split(":")[0]);
      throw e;
    }
  }
  const chain = chainFor(chainId, rpcUrl);
  const transport = http(rpcUrl, { timeout: 30_000, retryCount: 2, retryDelay: 250 });
  const pollingInterval = opts.pollingIntervalMs ?? 1000;
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const code = await publicClient.getCode({ address: deployment.contracts.TaskManager });
  if (!code || code === "0x")
    throw new NoDeploymentError(
      chainId,
      `no contract at the TaskManager address ${deployment.contracts.TaskManager}; a restarted local node forgets its contracts`,
    );
  const walletClient = opts.privateKey
    ? createWalletClient({ chain, transport, account: privateKeyToAccount(opts.privateKey) })
    : undefined;
  return { publicClient, walletClient, deployment, pollingIntervalMs: pollingInterval };
}

/** The wallet client and its address, or `MissingAccountError` naming the action. */
export function requireWallet(
  ctx: OmniTensorContext,
  action: string,
): { wallet: WalletClient<Transport, Chain, Account>; account: Address } {
  if (!ctx.walletClient) throw new MissingAccountError(action);
  return { wallet: ctx.walletClient, account: ctx.walletClient.account.address };
}

/** Every custom error of the four contracts (and their libraries, as far as their ABIs list them). */
export const ALL_ERRORS: Abi = (() => {
  const seen = new Set<string>();
  const out: Abi[number][] = [];
  for (const abi of [omniTokenAbi, nodeStakingAbi, modelRegistryAbi, taskManagerAbi] as readonly Abi[])
    for (const item of abi)
      if (item.type === "error") {
        const key = `${item.name}(${item.inputs.map((i) => i.type).join(",")})`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(item);
        }
      }
  return out;
})();

/** Turns a viem error into `ContractRevertError` (with the decoded custom error), or returns undefined for "no gas money". */
export function explainError(fn: string, e: unknown): unknown {
  if (!(e instanceof BaseError)) return e;
  const { name, detail, reverted } = revertName(e); // the one decoder, shared with the node
  if (reverted) {
    const r = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError;
    return new ContractRevertError(fn, name, r.data?.args ?? [], detail, e);
  }
  if (isGasFundsError(e)) return undefined;
  return new ContractRevertError(fn, undefined, [], detail, e);
}

/** viem's InsufficientFundsError, or a node's own words for it (Hardhat: "Sender doesn't have enough funds"). */
function isGasFundsError(e: BaseError): boolean {
  if (e.walk((x) => (x as { name?: string }).name === "InsufficientFundsError")) return true;
  return /insufficient funds|enough funds|funds for gas/i.test(`${e.details} ${e.message}`);
}

/** `InsufficientFundsError` for gas, with the account's balance of the native coin. */
async function gasError(
  ctx: OmniTensorContext,
  fn: string,
  account: Address,
): Promise<InsufficientFundsError> {
  const balance = await ctx.publicClient.getBalance({ address: account });
  return new InsufficientFundsError(account, "gas", balance, 0n, fn, `${formatEther(balance)}`, "more");
}

/** A contract call to send: the address, a typed ABI holding the function, its name and arguments. */
export type TxRequest<abi extends Abi = Abi, fn extends WriteName<abi> = WriteName<abi>> = ContractWrite<
  abi,
  fn
>;

/**
 * Simulates, sends and waits for one transaction; throws `ContractRevertError` naming the
 * contract's custom error when it would revert, and checks the receipt's status.
 */
export async function sendTx<const abi extends Abi, fn extends WriteName<abi>>(
  ctx: OmniTensorContext,
  typed: TxRequest<abi, fn>,
): Promise<TransactionReceipt> {
  // The types were checked at the call site; from here on any ABI will do.
  const req = typed as unknown as TxRequest;
  const { wallet, account } = requireWallet(ctx, req.functionName);
  // Every contract's errors, so that a revert inside a nested call is decoded by its name too.
  const abi: Abi = [...req.abi, ...ALL_ERRORS];
  let request: Parameters<typeof wallet.writeContract>[0];
  try {
    const sim = await ctx.publicClient.simulateContract({
      address: req.address,
      abi,
      functionName: req.functionName,
      args: req.args as unknown[],
      account: wallet.account,
    });
    request = sim.request as Parameters<typeof wallet.writeContract>[0];
  } catch (e) {
    throw explainError(req.functionName, e) ?? (await gasError(ctx, req.functionName, account));
  }
  let hash: Hex;
  try {
    hash = await wallet.writeContract(request);
  } catch (e) {
    throw explainError(req.functionName, e) ?? (await gasError(ctx, req.functionName, account));
  }
  const receipt = await ctx.publicClient.waitForTransactionReceipt({
    hash,
    pollingInterval: ctx.pollingIntervalMs,
  });
  if (receipt.status !== "success")
    throw new ContractRevertError(req.functionName, undefined, [], `transaction ${hash} reverted on chain`);
  return receipt;
}

/** OMNIT (18 decimals) for messages: "12.5". */
export function omnit(wei: bigint): string {
  return formatEther(wei);
}
