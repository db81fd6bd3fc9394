/** The Submitter's options, requests and results (./submitter.ts). */
import type { Abi, Address, Hash, Hex, TransactionReceipt } from "viem";
import type { Logger } from "pino";
import type { ChainClients } from "./clients.ts";
import type { ContractWrite, WriteName } from "./write.ts";
import type { Fees } from "./fees.ts";

export interface GasPolicy {
  maxFeePerGasGwei: number;
  maxPriorityFeePerGasGwei: number;
  replaceAfterMs: number;
  bumpPercent: number;
  minBalanceEth?: bigint;
  /** Longest wait for a receipt (replacements included) before ReceiptTimeoutError; default 10 × replaceAfterMs. */
  receiptTimeoutMs?: number;
}

/** A write to send (typed by its ABI, see ./write.ts) and how to send it. */
export interface SendRequest<
  abi extends Abi = Abi,
  fn extends WriteName<abi> = WriteName<abi>,
> extends ContractWrite<abi, fn> {
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

/** A transaction signed and sent, awaiting its receipt. */
export interface InFlight {
  fn: string;
  data: Hex;
  to: Address;
  gas: bigint;
  nonce: number;
  fees: Fees;
  hash: Hash;
  log: Logger;
}
