/**
 * The submitter: every transaction of one key goes through here.
 *  - one nonce lock per key (shared by every Submitter of that key in the process): nonces are
 *    handed out in order and never reused, while receipts are awaited outside the lock;
 *  - simulate before send (viem simulateContract): a call that would revert costs no gas and
 *    surfaces the contract's custom error name;
 *  - gas price caps: never pays above gas.maxFeePerGasGwei (waits instead);
 *  - replacement of stuck transactions: same nonce, fees bumped by gas.bumpPercent, after
 *    gas.replaceAfterMs;
 *  - a profitability guard: the expected reward must cover profitFactor × the gas cost;
 *  - a clear "wallet without gas" error.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  encodeFunctionData,
  formatGwei,
  parseGwei,
  type Abi,
  type Address,
  type Hash,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { Logger } from "pino";
import type { ChainClients } from "./clients.ts";
import {
  GasCapError,
  NoGasError,
  RpcUnreachableError,
  TxRevertError,
  UnprofitableError,
  WorkerError,
} from "./errors.ts";

/** A mutex: `run(fn)` runs fn after every earlier fn has finished. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

interface KeyState {
  lock: Mutex;
  /** The next nonce this process will use, when known. */
  next?: number;
}
const keyStates = new Map<string, KeyState>();

/** The nonce lock of `address` (one per key per process). */
export function keyState(address: Address): KeyState {
  const k = address.toLowerCase();
  let s = keyStates.get(k);
  if (!s) keyStates.set(k, (s = { lock: new Mutex() }));
  return s;
}

export interface GasPolicy {
  maxFeePerGasGwei: number;
  maxPriorityFeePerGasGwei: number;
  replaceAfterMs: number;
  bumpPercent: number;
  minBalanceEth?: bigint;
}

export interface SendRequest {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  /** Expected OMNIT (wei) this transaction earns; checked against gas when omnitPerEth > 0. */
  expectedReward?: bigint;
  logger?: Logger;
  /** Called as soon as the transaction is handed to the node (before its receipt). */
  onSent?(hash: Hash): void;
  /** Gas limit to use instead of an estimate (some chains estimate time-dependent calls badly). */
  gas?: bigint;
}

export interface SendResult {
  hash: Hash;
  receipt: TransactionReceipt;
  /** Wei paid for gas. */
  cost: bigint;
}

export interface SubmitterOptions {
  clients: ChainClients;
  gas: GasPolicy;
  logger: Logger;
  /** OMNIT per ETH for the profitability guard (0 disables it). */
  omnitPerEth?: number;
  profitFactor?: number;
  /** Called for every transaction sent (metrics). */
  onSent?(fn: string): void;
  onFailed?(fn: string): void;
}

function revertName(e: unknown): { name?: string; detail: string } {
  if (e instanceof BaseError) {
    const r = e.walk(
      (x) => x instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError | null;
    if (r) return { name: r.data?.errorName ?? r.signature ?? r.reason, detail: r.shortMessage };
    return { detail: e.shortMessage };
  }
  return { detail: (e as Error).message ?? String(e) };
}

function isNetworkError(e: unknown): boolean {
  if (e instanceof BaseError)
    return Boolean(e.walk((x) => x instanceof HttpRequestError || x instanceof TimeoutError));
  const m = (e as Error)?.message ?? "";
  return /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up|timed out/i.test(m);
}

export class Submitter {
  readonly account: Address;
  private readonly state: KeyState;
  private lastNoGasLog = 0;

  constructor(private readonly opts: SubmitterOptions) {
    this.account = opts.clients.account.address;
    this.state = keyState(this.account);
  }

  /**
   * Simulates the call as this account and estimates its gas in one RPC call
   * (eth_estimateGas executes the call); throws TxRevertError with the custom error name.
   */
  async estimate(req: Pick<SendRequest, "address" | "abi" | "functionName" | "args">): Promise<bigint> {
    try {
      return await this.opts.clients.publicClient.estimateContractGas({
        address: req.address,
        abi: req.abi,
        functionName: req.functionName,
        args: req.args,
        account: this.opts.clients.account,
      } as Parameters<ChainClients["publicClient"]["estimateContractGas"]>[0]);
    } catch (e) {
      if (isNetworkError(e))
        throw new RpcUnreachableError(this.opts.clients.chain.rpcUrls.default.http[0], e);
      const { name, detail } = revertName(e);
      throw new TxRevertError(req.functionName, name, detail, { cause: e });
    }
  }

  /** Simulates the call as this account (eth_call); throws TxRevertError with the custom error name. */
  async simulate(req: Pick<SendRequest, "address" | "abi" | "functionName" | "args">): Promise<unknown> {
    try {
      const { result } = await this.opts.clients.publicClient.simulateContract({
        address: req.address,
        abi: req.abi,
        functionName: req.functionName,
        args: req.args,
        account: this.opts.clients.account,
      } as Parameters<ChainClients["publicClient"]["simulateContract"]>[0]);
      return result;
    } catch (e) {
      if (isNetworkError(e))
        throw new RpcUnreachableError(this.opts.clients.chain.rpcUrls.default.http[0], e);
      const { name, detail } = revertName(e);
      throw new TxRevertError(req.functionName, name, detail, { cause: e });
    }
  }

  /** The most gas each function was estimated at or used (per Submitter). */
  private readonly gasSeen = new Map<string, bigint>();
  private cachedFees?: { at: number; value: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } };
  private cachedBalance?: { at: number; value: bigint };

  /** The wallet balance, re-read at most every 10 s (and after every failed send). */
  private async balance(): Promise<bigint> {
    if (this.cachedBalance && Date.now() - this.cachedBalance.at < 10_000) return this.cachedBalance.value;
    const value = await this.opts.clients.publicClient.getBalance({ address: this.account });
    this.cachedBalance = { at: Date.now(), value };
    return value;
  }

  /** Signs locally and sends the raw transaction (one RPC call). */
  private async sendRaw(tx: {
    to: Address;
    data: Hex;
    gas: bigint;
    nonce: number;
    maxFeePerGas: bigint;
    maxPriorityFeePerGas: bigint;
  }): Promise<Hash> {
    const account = this.opts.clients.account;
    if (!account.signTransaction) throw new Error("the node account cannot sign transactions locally");
    const serialized = await account.signTransaction({
      ...tx,
      type: "eip1559",
      chainId: this.opts.clients.chain.id,
    });
    return this.opts.clients.publicClient.sendRawTransaction({ serializedTransaction: serialized });
  }

  /** Fees, re-estimated at most every second. */
  private async fees(fn: string): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    if (this.cachedFees && Date.now() - this.cachedFees.at < 1000) return this.cachedFees.value;
    const value = await this.estimateFees(fn);
    this.cachedFees = { at: Date.now(), value };
    return value;
  }

  private async estimateFees(fn: string): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const pc = this.opts.clients.publicClient;
    const cap = parseGwei(this.opts.gas.maxFeePerGasGwei.toFixed(9));
    const capPrio = parseGwei(this.opts.gas.maxPriorityFeePerGasGwei.toFixed(9));
    const est = await pc.estimateFeesPerGas();
    let maxPriorityFeePerGas = est.maxPriorityFeePerGas < capPrio ? est.maxPriorityFeePerGas : capPrio;
    let maxFeePerGas = est.maxFeePerGas;
    if (maxFeePerGas > cap) {
      const block = await pc.getBlock({ blockTag: "latest" });
      const base = block.baseFeePerGas ?? 0n;
      if (base + maxPriorityFeePerGas > cap) {
        if (base >= cap) throw new GasCapError(fn, Number(formatGwei(base)), this.opts.gas.maxFeePerGasGwei);
        maxPriorityFeePerGas = cap - base;
      }
      maxFeePerGas = cap;
    }
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    return { maxFeePerGas, maxPriorityFeePerGas };
  }

  /**
   * Simulates, checks gas price, balance and profitability, sends under the key's nonce lock,
   * then waits for the receipt (replacing the transaction if it is stuck). Throws TxRevertError
   * when the call would revert or reverted.
   */
  async send(req: SendRequest): Promise<SendResult> {
    const log = req.logger ?? this.opts.logger;
    const fn = req.functionName;
    const pc = this.opts.clients.publicClient;
    const data = encodeFunctionData({
      abi: req.abi,
      functionName: req.functionName,
      args: req.args,
    } as Parameters<typeof encodeFunctionData>[0]);
    let nonce = -1;
    let fees!: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    let gas!: bigint;
    let hash!: Hash;
    try {
      await this.state.lock.run(async () => {
        // Simulate (and estimate gas) inside the lock: our own pending transactions cannot change the answer.
        // After the first estimate of a function, an eth_call simulation is enough (eth_estimateGas
        // runs the call many times): the limit is 1.5 × the most gas that function has used or been estimated at.
        const known = this.gasSeen.get(fn);
        const [estimated, f, balance] = await Promise.all([
          known === undefined ? this.estimate(req) : this.simulate(req).then(() => known),
          this.fees(fn),
          this.balance(),
        ]);
        if (known === undefined) this.gasSeen.set(fn, estimated);
        gas = req.gas ?? (estimated * 3n) / 2n;
        fees = f;
        const need = gas * fees.maxFeePerGas;
        const floor = this.opts.gas.minBalanceEth ?? 0n;
        if (balance < need || balance < floor) {
          const err = new NoGasError(this.account, balance, need > floor ? need : floor);
          if (Date.now() - this.lastNoGasLog > 60_000) {
            log.error(
              { account: this.account, balance: balance.toString(), need: need.toString() },
              err.message,
            );
            this.lastNoGasLog = Date.now();
          }
          throw err;
        }
        const perEth = this.opts.omnitPerEth ?? 0;
        if (perEth > 0 && req.expectedReward !== undefined) {
          const costOmnit = (need * BigInt(Math.round(perEth * 1e6))) / 1_000_000n;
          const factor = BigInt(Math.round((this.opts.profitFactor ?? 1) * 1e6));
          if (req.expectedReward * 1_000_000n < costOmnit * factor)
            throw new UnprofitableError(fn, req.expectedReward, costOmnit);
        }
        nonce =
          this.state.next ?? (await pc.getTransactionCount({ address: this.account, blockTag: "pending" }));
        try {
          hash = await this.sendRaw({ to: req.address, data, gas, nonce, ...fees });
        } catch (e) {
          this.state.next = undefined; // re-read the nonce from the chain next time
          this.cachedBalance = undefined;
          throw e;
        }
        this.state.next = nonce + 1;
        if (this.cachedBalance) this.cachedBalance.value -= need;
      });
    } catch (e) {
      if (e instanceof WorkerError) {
        if (e instanceof TxRevertError) this.opts.onFailed?.(fn);
        throw e;
      }
      if (isNetworkError(e))
        throw new RpcUnreachableError(this.opts.clients.chain.rpcUrls.default.http[0], e);
      const { name, detail } = revertName(e);
      this.opts.onFailed?.(fn);
      throw new TxRevertError(fn, name, detail, { cause: e, retryable: true });
    }
    this.opts.onSent?.(fn);
    req.onSent?.(hash);
    log.debug({ fn, hash, nonce }, "transaction sent");
    const receipt = await this.waitOrReplace({ fn, data, to: req.address, gas, nonce, fees, hash, log });
    const cost = receipt.gasUsed * receipt.effectiveGasPrice;
    if (receipt.gasUsed > (this.gasSeen.get(fn) ?? 0n)) this.gasSeen.set(fn, receipt.gasUsed);
    if (receipt.status !== "success" && receipt.gasUsed >= gas) this.gasSeen.delete(fn); // out of gas: estimate again
    if (receipt.status !== "success") {
      this.opts.onFailed?.(fn);
      // Find out why (a race lost between simulation and mining, typically).
      let why = "reverted on chain";
      try {
        await this.simulate(req);
      } catch (e) {
        if (e instanceof TxRevertError && e.errorName) why = e.errorName;
      }
      throw new TxRevertError(fn, why, `transaction ${receipt.transactionHash} reverted`);
    }
    log.info({ fn, hash: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, `${fn} mined`);
    return { hash: receipt.transactionHash, receipt, cost };
  }

  private async waitOrReplace(t: {
    fn: string;
    data: Hex;
    to: Address;
    gas: bigint;
    nonce: number;
    fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    hash: Hash;
    log: Logger;
  }): Promise<TransactionReceipt> {
    const pc = this.opts.clients.publicClient;
    const hashes: Hash[] = [t.hash];
    let fees = t.fees;
    const cap = parseGwei(this.opts.gas.maxFeePerGasGwei.toFixed(9));
    let rpcFailures = 0;
    for (;;) {
      const deadline = Date.now() + this.opts.gas.replaceAfterMs;
      while (Date.now() < deadline) {
        for (const h of hashes) {
          try {
            const r = await pc.getTransactionReceipt({ hash: h });
            if (r) return r;
          } catch (e) {
            if (isNetworkError(e) && ++rpcFailures % 20 === 1)
              t.log.warn(
                { fn: t.fn, err: (e as Error).message.split("\n")[0] },
                "RPC unreachable while waiting for a receipt",
              );
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      // Stuck: replace with bumped fees, same nonce (unless the nonce is already used).
      const bump = (v: bigint) => (v * BigInt(100 + this.opts.gas.bumpPercent)) / 100n + 1n;
      const next = {
        maxFeePerGas: bump(fees.maxFeePerGas),
        maxPriorityFeePerGas: bump(fees.maxPriorityFeePerGas),
      };
      if (next.maxFeePerGas > cap) {
        t.log.warn({ fn: t.fn, nonce: t.nonce }, "transaction pending and the fee cap is reached; waiting");
        continue;
      }
      try {
        const h = await this.sendRaw({ to: t.to, data: t.data, gas: t.gas, nonce: t.nonce, ...next });
        hashes.push(h);
        fees = next;
        t.log.warn(
          { fn: t.fn, nonce: t.nonce, hash: h, maxFeePerGas: next.maxFeePerGas.toString() },
          "replaced a stuck transaction",
        );
      } catch (e) {
        // "nonce too low": one of our hashes was mined; the next loop finds its receipt.
        t.log.debug({ err: (e as Error).message.split("\n")[0] }, "replacement not sent");
      }
    }
  }
}
