/**
 * The simulation's chain: an in-process EDR provider (Hardhat's `network.create()`) with the
 * protocol deployed by the one devnet harness (test/support/devnet.ts). Accounts are impersonated
 * (no signing per transaction) and every transaction is sent with a fixed gas limit (no estimate):
 * the receipts' `gasUsed` and logs are what the report reads. Nothing here knows a strategy.
 */
import {
  decodeEventLog,
  decodeFunctionResult,
  encodeFunctionData,
  parseEther,
  toHex,
  type Abi,
  type Address,
  type Hex,
  type Log,
} from "viem";
import { nodeStakingAbi, omniTokenAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import * as devnet from "../../test/support/devnet.ts";

const TM = taskManagerAbi as Abi;
const NS = nodeStakingAbi as Abi;
const TOKEN = omniTokenAbi as Abi;

/** One decoded event of a transaction the simulation sent. */
export interface SimEvent {
  name: string;
  args: Record<string, unknown>;
  tx: Hex;
  block: bigint;
}

/** One transaction the simulation sent: who paid its gas, how much, and what for. */
export interface SimTx {
  from: Address;
  fn: string;
  gasUsed: bigint;
  ok: boolean;
  /** Entries in a batch call (its gas is shared among the entries' nodes by the report). */
  payers?: Address[];
}

interface RawReceipt {
  status: Hex;
  gasUsed: Hex;
  blockNumber: Hex;
  logs: (Log & { topics: [Hex, ...Hex[]] })[];
}

export class SimChain {
  readonly txs: SimTx[] = [];
  readonly events: SimEvent[] = [];
  private readonly impersonated = new Set<string>();
  d!: Deployment;

  constructor(
    readonly provider: devnet.Target & {
      request: (a: { method: string; params?: unknown[] }) => Promise<unknown>;
    },
  ) {}

  rpc(method: string, params: unknown[] = []): Promise<unknown> {
    return this.provider.request({ method, params });
  }

  /** Deploys the protocol through the devnet harness (Ignition); the deployer is dev account 0. */
  async deploy(): Promise<Deployment> {
    this.d = (await devnet.deployDevnet(this.provider)).deployment;
    return this.d;
  }

  /** Gives `who` ETH for gas and lets the simulation send as it. */
  async account(who: Address): Promise<void> {
    if (this.impersonated.has(who)) return;
    await this.rpc("hardhat_impersonateAccount", [who]);
    await this.rpc("hardhat_setBalance", [who, toHex(parseEther("1000000"))]);
    this.impersonated.add(who);
  }

  /** Sends one call and records its receipt and events; returns the block number (0n if it reverted). */
  async send(
    from: Address,
    to: Address,
    abi: Abi,
    fn: string,
    args: readonly unknown[],
    opts: { gas?: bigint; payers?: Address[]; mayFail?: boolean } = {},
  ): Promise<bigint> {
    const data = encodeFunctionData({ abi, functionName: fn, args });
    const gas = toHex(opts.gas ?? 3_000_000n);
    let hash: Hex;
    try {
      hash = (await this.rpc("eth_sendTransaction", [{ from, to, data, gas }])) as Hex;
    } catch (e) {
      this.txs.push({ from, fn, gasUsed: 0n, ok: false });
      if (process.env.SIM_DEBUG) console.error(`${fn} from ${from}: ${(e as Error).message.slice(0, 200)}`);
      if (opts.mayFail) return 0n;
      throw new Error(`${fn} from ${from} failed: ${(e as Error).message}`, { cause: e });
    }
    const r = (await this.rpc("eth_getTransactionReceipt", [hash])) as RawReceipt;
    const ok = r.status === "0x1";
    this.txs.push({ from, fn, gasUsed: BigInt(r.gasUsed), ok, payers: opts.payers });
    if (!ok && !opts.mayFail) throw new Error(`${fn} from ${from} reverted (tx ${hash})`);
    for (const l of r.logs) this.record(l, hash, BigInt(r.blockNumber));
    return ok ? BigInt(r.blockNumber) : 0n;
  }

  private record(l: Log & { topics: [Hex, ...Hex[]] }, tx: Hex, block: bigint): void {
    const { TaskManager, NodeStaking } = this.d.contracts;
    const abi = l.address.toLowerCase() === TaskManager.toLowerCase() ? TM : NS;
    if (abi === NS && l.address.toLowerCase() !== NodeStaking.toLowerCase()) return;
    const e = decodeEventLog({ abi, data: l.data, topics: l.topics });
    this.events.push({ name: e.eventName ?? "", args: (e.args ?? {}) as Record<string, unknown>, tx, block });
  }

  tm = (from: Address, fn: string, args: readonly unknown[], opts?: Parameters<SimChain["send"]>[5]) =>
    this.send(from, this.d.contracts.TaskManager, TM, fn, args, opts);
  token = (from: Address, fn: string, args: readonly unknown[]) =>
    this.send(from, this.d.contracts.OmniToken, TOKEN, fn, args);
  staking = (from: Address, fn: string, args: readonly unknown[]) =>
    this.send(from, this.d.contracts.NodeStaking, NS, fn, args);

  async read<T>(to: Address, abi: Abi, fn: string, args: readonly unknown[] = []): Promise<T> {
    const data = encodeFunctionData({ abi, functionName: fn, args });
    const out = (await this.rpc("eth_call", [{ to, data }, "latest"])) as Hex;
    return decodeFunctionResult({ abi, functionName: fn, data: out }) as T;
  }
  readTm = <T>(fn: string, args: readonly unknown[] = []) =>
    this.read<T>(this.d.contracts.TaskManager, TM, fn, args);
  readStaking = <T>(fn: string, args: readonly unknown[] = []) =>
    this.read<T>(this.d.contracts.NodeStaking, NS, fn, args);
  readToken = <T>(fn: string, args: readonly unknown[] = []) =>
    this.read<T>(this.d.contracts.OmniToken, TOKEN, fn, args);

  async now(): Promise<bigint> {
    return devnet.chainTime(this.provider);
  }
  async blockTime(n: bigint): Promise<bigint> {
    const b = (await this.rpc("eth_getBlockByNumber", [toHex(n), false])) as { timestamp: Hex };
    return BigInt(b.timestamp);
  }
  async blockHash(n: bigint): Promise<Hex> {
    const b = (await this.rpc("eth_getBlockByNumber", [toHex(n), false])) as { hash: Hex } | null;
    if (!b) throw new Error(`block ${n} is not mined yet`);
    return b.hash;
  }
  /** Moves the clock to just past `t` (no-op when already there). */
  async warpTo(t: bigint): Promise<void> {
    await devnet.warpTo(this.provider, t);
  }
  async mine(n = 1): Promise<void> {
    await this.rpc("hardhat_mine", [toHex(n)]);
  }

  /** Everything an account holds in the protocol: wallet + credit + stake (locked bonds included) + unbonding. */
  async wealth(a: Address): Promise<bigint> {
    const [bal, credit, stake, unb] = await Promise.all([
      this.readToken<bigint>("balanceOf", [a]),
      this.readTm<bigint>("creditOf", [a]),
      this.readStaking<bigint>("stakeOf", [a]),
      this.readStaking<readonly [bigint, bigint]>("unbondingOf", [a]),
    ]);
    return bal + credit + stake + unb[0];
  }
}
