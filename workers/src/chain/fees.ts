/** Fee estimates under the configured caps (gas.maxFeePerGasGwei, gas.maxPriorityFeePerGasGwei). */
import { formatGwei, parseGwei, type Chain, type PublicClient, type Transport } from "viem";
import { GasCapError } from "./errors.ts";

export type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

export class FeeOracle {
  private cached?: { at: number; value: Fees };

  constructor(
    private readonly client: PublicClient<Transport, Chain>,
    private readonly gas: { maxFeePerGasGwei: number; maxPriorityFeePerGasGwei: number },
  ) {}

  /** Fees, re-estimated at most every second. */
  async fees(fn: string): Promise<Fees> {
    if (this.cached && Date.now() - this.cached.at < 1000) return this.cached.value;
    const value = await this.estimate(fn);
    this.cached = { at: Date.now(), value };
    return value;
  }

  private async estimate(fn: string): Promise<Fees> {
    const pc = this.client;
    const cap = parseGwei(this.gas.maxFeePerGasGwei.toFixed(9));
    const capPrio = parseGwei(this.gas.maxPriorityFeePerGasGwei.toFixed(9));
    const est = await pc.estimateFeesPerGas();
    let maxPriorityFeePerGas = est.maxPriorityFeePerGas < capPrio ? est.maxPriorityFeePerGas : capPrio;
    let maxFeePerGas = est.maxFeePerGas;
    if (maxFeePerGas > cap) {
      const block = await pc.getBlock({ blockTag: "latest" });
      const base = block.baseFeePerGas ?? 0n;
      if (base + maxPriorityFeePerGas > cap) {
        if (base >= cap) throw new GasCapError(fn, Number(formatGwei(base)), this.gas.maxFeePerGasGwei);
        maxPriorityFeePerGas = cap - base;
      }
      maxFeePerGas = cap;
    }
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    return { maxFeePerGas, maxPriorityFeePerGas };
  }
}
