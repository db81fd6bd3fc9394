/**
 * The submitter: every transaction of one key goes through here.
 *  - one nonce lock per key (shared by every Submitter of that key in the process): nonces are
 *    handed out in order and never reused, while receipts are awaited outside the lock;
 *  - simulate before send (viem simulateContract): a call that would revert costs no gas and
 *    surfaces the contract's custom error name;
 *  - gas price caps: never pays above gas.maxFeePerGasGwei (waits instead);
 *  - replacement of stuck transactions: same nonce, fees bumped by gas.bumpPercent, after
 *    gas.replaceAfterMs;
 *  - a profitability guard (reward ≥ profitFactor × gas cost); a clear "wallet without gas" error.
 */
import {
  encodeFunctionData,
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
  ChainError,
  InvalidCallError,
  NoGasError,
  NonceClashError,
  ReceiptTimeoutError,
  RpcUnreachableError,
  TxRevertError,
  TxSendError,
  isInvalidArgument,
  isNetworkError,
  isNonceAhead,
  isNonceUsed,
  revertName,
} from "./errors.ts";
import { sleep } from "./retry.ts";
import type { WriteName } from "./write.ts";
import { FeeOracle, type Fees } from "./fees.ts";
import { keyState, type KeyState } from "./nonce-lock.ts";
import { unprofitable } from "./profit.ts";
import type { InFlight, SendRequest, SendResult, SubmitterOptions } from "./submitter-types.ts";

export { Mutex, keyState } from "./nonce-lock.ts";

export type { GasPolicy, SendRequest, SendResult, SubmitterOptions } from "./submitter-types.ts";

export class Submitter {
  readonly account: Address;
  private readonly state: KeyState;
  private lastNoGasLog = 0;
  /** The most gas each function was estimated at or used (per Submitter). */
  private readonly gasSeen = new Map<string, bigint>();
  private readonly feeOracle: FeeOracle;
  private cachedBalance?: { at: number; value: bigint };

  constructor(private readonly opts: SubmitterOptions) {
    this.account = opts.clients.account.address;
    this.state = keyState(this.account);
    this.feeOracle = new FeeOracle(opts.clients.publicClient, opts.gas);
  }

  private get rpcUrl(): string {
    return this.opts.clients.chain.rpcUrls.default.http[0];
  }

  /** The calldata; arguments that cannot be encoded are an InvalidCallError (never retried). */
  private encode(req: Pick<SendRequest, "abi" | "functionName" | "args">): Hex {
    try {
      return encodeFunctionData({
        abi: req.abi,
        functionName: req.functionName,
        args: req.args,
      } as Parameters<typeof encodeFunctionData>[0]);
    } catch (e) {
      throw new InvalidCallError(req.functionName, e);
    }
  }

  /** Maps what a simulation threw to a ChainError: unreachable RPC, invalid call, or a revert. */
  private simulationError(fn: string, e: unknown): ChainError {
    if (isNetworkError(e)) return new RpcUnreachableError(this.rpcUrl, e);
    if (isInvalidArgument(e)) return new InvalidCallError(fn, e);
    const { name, detail } = revertName(e);
    return new TxRevertError(fn, name, detail, { cause: e });
  }

  /**
   * Simulates the call as this account and estimates its gas in one RPC call
   * (eth_estimateGas executes the call); throws TxRevertError with the custom error name.
   */
  async estimate(req: Pick<SendRequest, "address" | "abi" | "functionName" | "args">): Promise<bigint> {
    this.encode(req);
    try {
      return await this.opts.clients.publicClient.estimateContractGas({
        address: req.address,
        abi: req.abi,
        functionName: req.functionName,
        args: req.args,
        account: this.opts.clients.account,
      } as Parameters<ChainClients["publicClient"]["estimateContractGas"]>[0]);
    } catch (e) {
      throw this.simulationError(req.functionName, e);
    }
  }

  /**
   * Simulates the call as this account (eth_call, with `gas` as its limit when given); throws
   * TxRevertError with the custom error name.
   */
  async simulate(
    req: Pick<SendRequest, "address" | "abi" | "functionName" | "args">,
    gas?: bigint,
  ): Promise<unknown> {
    this.encode(req);
    try {
      const { result } = await this.opts.clients.publicClient.simulateContract({
        address: req.address,
        abi: req.abi,
        functionName: req.functionName,
        args: req.args,
        account: this.opts.clients.account,
        ...(gas === undefined ? {} : { gas }),
      } as Parameters<ChainClients["publicClient"]["simulateContract"]>[0]);
      return result;
    } catch (e) {
      throw this.simulationError(req.functionName, e);
    }
  }

  /** The wallet balance, re-read at most every 10 s (and after every failed send). */
  private async balance(): Promise<bigint> {
    if (this.cachedBalance && Date.now() - this.cachedBalance.at < 10_000) return this.cachedBalance.value;
    const value = await this.opts.clients.publicClient.getBalance({ address: this.account });
    this.cachedBalance = { at: Date.now(), value };
    return value;
  }

  /** Signs locally and sends the raw transaction (one RPC call). */
  private async sendRaw(tx: { to: Address; data: Hex; gas: bigint; nonce: number } & Fees): Promise<Hash> {
    const account = this.opts.clients.account;
    if (!account.signTransaction) throw new Error("the node account cannot sign transactions locally");
    const serialized = await account.signTransaction({
      ...tx,
      type: "eip1559",
      chainId: this.opts.clients.chain.id,
    });
    return this.opts.clients.publicClient.sendRawTransaction({ serializedTransaction: serialized });
  }

  /**
   * Sends at the key's next nonce: this process's count, else the chain's pending count. A count
   * ahead of the chain (a devnet restarted under the node) is dropped and the chain's used, once.
   * A nonce used by another sender is a NonceClashError (our own sends all hold the key's lock).
   */
  private async sendNext(fn: string, tx: { to: Address; data: Hex; gas: bigint } & Fees) {
    for (let retry = false; ; retry = true) {
      const cached = this.state.next;
      const nonce =
        cached ??
        (await this.opts.clients.publicClient.getTransactionCount({
          address: this.account,
          blockTag: "pending",
        }));
      try {
        return { hash: await this.sendRaw({ ...tx, nonce }), nonce };
      } catch (e) {
        this.state.next = undefined; // re-read the nonce from the chain next time
        this.cachedBalance = undefined;
        this.gasSeen.delete(fn); // a node that mines at once refuses a call that ran out of gas: estimate again
        if (isNonceUsed(e)) throw new NonceClashError(fn, this.account, nonce, e);
        if (cached === undefined || retry || !isNonceAhead(e)) throw e;
      }
    }
  }

  /** Throws NoGasError (logged at most once a minute) or UnprofitableError. */
  private checkAffordable(req: SendRequest, need: bigint, balance: bigint, log: Logger): void {
    const floor = this.opts.gas.minBalanceEth ?? 0n;
    if (balance < need || balance < floor) {
      const err = new NoGasError(this.account, balance, need > floor ? need : floor);
      if (Date.now() - this.lastNoGasLog > 60_000) {
        log.error({ account: this.account, balance: balance.toString(), need: need.toString() }, err.message);
        this.lastNoGasLog = Date.now();
      }
      throw err;
    }
    const loss = unprofitable(req.functionName, req.expectedReward, need, this.opts);
    if (loss) throw loss;
  }

  /** The max fee per gas a transaction of `fn` would offer now (GasCapError when the base fee is above the cap). */
  async maxFeePerGas(fn: string): Promise<bigint> {
    return (await this.feeOracle.fees(fn)).maxFeePerGas;
  }

  /**
   * Under the key's nonce lock: simulates (our own pending transactions cannot change the
   * answer), checks fees, balance and profitability, signs and sends. After the first estimate
   * of a function, an eth_call simulation is enough (eth_estimateGas runs the call many times):
   * the limit is 1.5 × the most gas that function has used or been estimated at, and the
   * simulation runs under that limit; a call that needs more (a function whose cost depends on
   * the state, a reveal that opens a dispute's new output) fails it and is estimated again.
   */
  private dispatch(req: SendRequest, data: Hex, log: Logger): Promise<InFlight> {
    const fn = req.functionName;
    return this.state.lock.run(async () => {
      const known = this.gasSeen.get(fn);
      const [estimated, fees, balance] = await Promise.all([
        known === undefined
          ? this.estimate(req)
          : this.simulate(req, req.gas ?? (known * 3n) / 2n).then(
              () => known,
              () => this.estimate(req),
            ),
        this.feeOracle.fees(fn),
        this.balance(),
      ]);
      if (estimated > (known ?? 0n)) this.gasSeen.set(fn, estimated);
      const gas = req.gas ?? (estimated * 3n) / 2n;
      const need = gas * fees.maxFeePerGas;
      this.checkAffordable(req, need, balance, log);
      const { hash, nonce } = await this.sendNext(fn, { to: req.address, data, gas, ...fees });
      this.state.next = nonce + 1;
      if (this.cachedBalance) this.cachedBalance.value -= need;
      return { fn, data, to: req.address, gas, nonce, fees, hash, log };
    });
  }

  /**
   * Simulates, checks gas price, balance and profitability, sends under the key's nonce lock,
   * then waits for the receipt (replacing the transaction if it is stuck, at most
   * gas.receiptTimeoutMs). Throws TxRevertError only when the call would revert or reverted;
   * a nonce used by another sender is a NonceClashError.
   */
  async send<const abi extends Abi, fn extends WriteName<abi>>(
    typed: SendRequest<abi, fn>,
  ): Promise<SendResult> {
    // The types were checked at the call site; the rest of the submitter works on any ABI.
    const req = typed as unknown as SendRequest;
    const log = req.logger ?? this.opts.logger;
    const fn = req.functionName;
    const data = this.encode(req);
    let tx: InFlight;
    try {
      tx = await this.dispatch(req, data, log);
    } catch (e) {
      if (e instanceof ChainError) {
        if (e instanceof TxRevertError || e instanceof NonceClashError) this.opts.onFailed?.(fn);
        throw e;
      }
      if (isNetworkError(e)) throw new RpcUnreachableError(this.rpcUrl, e);
      this.opts.onFailed?.(fn);
      const { name, detail, reverted } = revertName(e);
      if (reverted) throw new TxRevertError(fn, name, detail, { cause: e, retryable: true });
      throw new TxSendError(fn, e);
    }
    this.opts.onSent?.(fn);
    req.onSent?.(tx.hash);
    log.debug({ fn, hash: tx.hash, nonce: tx.nonce }, "transaction sent");
    const receipt = await this.waitOrReplace(tx);
    return this.settle(req, tx, receipt);
  }

  /** Records the gas used; a reverted receipt becomes a TxRevertError naming why (re-simulated). */
  private async settle(req: SendRequest, tx: InFlight, receipt: TransactionReceipt): Promise<SendResult> {
    const fn = tx.fn;
    const cost = receipt.gasUsed * receipt.effectiveGasPrice;
    if (receipt.gasUsed > (this.gasSeen.get(fn) ?? 0n)) this.gasSeen.set(fn, receipt.gasUsed);
    if (receipt.status !== "success" && receipt.gasUsed >= tx.gas) this.gasSeen.delete(fn); // out of gas: estimate again
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
    tx.log.info({ fn, hash: receipt.transactionHash, gasUsed: receipt.gasUsed.toString() }, `${fn} mined`);
    return { hash: receipt.transactionHash, receipt, cost };
  }

  /** The receipt of the first of `hashes` that has one; RPC failures are logged every 20th time. */
  private async receiptOf(hashes: Hash[], tx: InFlight, failures: { n: number }) {
    for (const h of hashes) {
      try {
        const r = await this.opts.clients.publicClient.getTransactionReceipt({ hash: h });
        if (r) return r;
      } catch (e) {
        if (isNetworkError(e) && ++failures.n % 20 === 1)
          tx.log.warn(
            { fn: tx.fn, err: (e as Error).message.split("\n")[0] },
            "RPC unreachable while waiting for a receipt",
          );
      }
    }
    return undefined;
  }

  /**
   * Our nonce is no longer pending and none of our hashes has a receipt: another sender's
   * transaction took it (NonceClashError). Returns our receipt when one turned up meanwhile.
   */
  private async checkNonceTaken(tx: InFlight, hashes: Hash[]): Promise<TransactionReceipt | undefined> {
    const mined = await this.opts.clients.publicClient
      .getTransactionCount({ address: this.account, blockTag: "latest" })
      .catch(() => undefined);
    if (mined === undefined || mined <= tx.nonce) return undefined;
    const mine = await this.receiptOf(hashes, tx, { n: 0 });
    if (mine) return mine;
    this.state.next = undefined;
    throw new NonceClashError(
      tx.fn,
      this.account,
      tx.nonce,
      new Error("mined by a transaction that is not ours"),
    );
  }

  private async waitOrReplace(tx: InFlight): Promise<TransactionReceipt> {
    const hashes: Hash[] = [tx.hash];
    const started = Date.now();
    const limit = this.opts.gas.receiptTimeoutMs ?? 10 * this.opts.gas.replaceAfterMs;
    const failures = { n: 0 };
    let fees = tx.fees;
    for (;;) {
      const deadline = Math.min(Date.now() + this.opts.gas.replaceAfterMs, started + limit);
      while (Date.now() < deadline) {
        const r = await this.receiptOf(hashes, tx, failures);
        if (r) return r;
        await sleep(100);
      }
      const taken = await this.checkNonceTaken(tx, hashes);
      if (taken) return taken;
      if (Date.now() - started >= limit) {
        this.state.next = undefined; // dropped or stuck: re-read the pending nonce next time
        throw new ReceiptTimeoutError(tx.fn, tx.nonce, hashes, Date.now() - started);
      }
      fees = await this.replace(tx, fees, hashes);
    }
  }

  /** Replaces a stuck transaction: same nonce, fees bumped by gas.bumpPercent, below the cap. */
  private async replace(tx: InFlight, fees: Fees, hashes: Hash[]): Promise<Fees> {
    const cap = parseGwei(this.opts.gas.maxFeePerGasGwei.toFixed(9));
    const bump = (v: bigint) => (v * BigInt(100 + this.opts.gas.bumpPercent)) / 100n + 1n;
    const next = {
      maxFeePerGas: bump(fees.maxFeePerGas),
      maxPriorityFeePerGas: bump(fees.maxPriorityFeePerGas),
    };
    if (next.maxFeePerGas > cap) {
      tx.log.warn({ fn: tx.fn, nonce: tx.nonce }, "transaction pending and the fee cap is reached; waiting");
      return fees;
    }
    try {
      const h = await this.sendRaw({ to: tx.to, data: tx.data, gas: tx.gas, nonce: tx.nonce, ...next });
      hashes.push(h);
      tx.log.warn(
        { fn: tx.fn, nonce: tx.nonce, hash: h, maxFeePerGas: next.maxFeePerGas.toString() },
        "replaced a stuck transaction",
      );
      return next;
    } catch (e) {
      // "nonce too low": one of our hashes was mined (found by the next poll), or another
      // sender's transaction took the nonce (checkNonceTaken names it).
      tx.log.debug({ err: (e as Error).message.split("\n")[0] }, "replacement not sent");
      return fees;
    }
  }
}
