/** viem clients of one worker: a public client (reads, logs) and a wallet client for the node key. */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

export type ChainClients = {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  account: Account;
};

/** Reads the chain id over RPC (a short timeout, no retry: callers retry with backoff). */
export async function fetchChainId(rpcUrl: string, timeoutMs = 5000): Promise<number> {
  const c = createPublicClient({ transport: http(rpcUrl, { timeout: timeoutMs, retryCount: 0 }) });
  return c.getChainId();
}

/** A minimal chain definition for any EVM chain reached through `rpcUrl`. */
export function chainFor(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function createClients(opts: {
  rpcUrl: string;
  chainId: number;
  privateKey: Hex;
  timeoutMs?: number;
}): ChainClients {
  const chain = chainFor(opts.chainId, opts.rpcUrl);
  const transport = http(opts.rpcUrl, { timeout: opts.timeoutMs ?? 10_000, retryCount: 1, retryDelay: 200 });
  const account = privateKeyToAccount(opts.privateKey);
  return {
    chain,
    account,
    publicClient: createPublicClient({ chain, transport, pollingInterval: 250, cacheTime: 0 }),
    walletClient: createWalletClient({ chain, transport, account }),
  };
}
