/** The submitter against a real `hardhat node`: nonce lock, simulation before send, caps. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { Abi, Address } from "viem";
import {
  deployContract,
  devAddress,
  devKey,
  startHardhatNode,
  type LocalChain,
} from "../../support/devnet.ts";
import { createClients } from "../../../workers/src/chain/clients.ts";
import { Mutex, Submitter } from "../../../workers/src/chain/submitter.ts";
import { GasCapError, TxRevertError, UnprofitableError } from "../../../workers/src/chain/errors.ts";
import { omniTokenAbi } from "../../../workers/src/chain/abis.ts";

const logger = pino({ level: "silent" });
const gas = { maxFeePerGasGwei: 500, maxPriorityFeePerGasGwei: 2, replaceAfterMs: 30_000, bumpPercent: 15 };

describe("submitter", () => {
  let chain: LocalChain;
  let token: Address;

  before(async () => {
    chain = await startHardhatNode();
    token = await deployContract(chain.rpcUrl, "OmniToken", [devAddress(0)]);
  });
  after(async () => {
    await chain?.stop();
  });

  it("Mutex runs critical sections one at a time, in order, even when one throws", async () => {
    const m = new Mutex();
    const order: number[] = [];
    let inside = 0;
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      m.run(async () => {
        inside++;
        assert.equal(inside, 1);
        await new Promise((r) => setTimeout(r, 5 * (5 - i)));
        order.push(i);
        inside--;
        if (i === 2) throw new Error("boom");
        return i;
      }),
    );
    const results = await Promise.allSettled(tasks);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(results[2].status, "rejected");
    assert.equal(results[4].status, "fulfilled");
  });

  it("sends 12 concurrent transactions from two Submitters of one key with consecutive nonces", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s1 = new Submitter({ clients, gas, logger });
    const s2 = new Submitter({ clients, gas, logger });
    const before = await clients.publicClient.getTransactionCount({ address: clients.account.address });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? s1 : s2).send({
          address: token,
          abi: omniTokenAbi as Abi,
          functionName: "transfer",
          args: [devAddress(7), BigInt(i + 1)],
        }),
      ),
    );
    const nonces = await Promise.all(
      results.map(async (r) => (await clients.publicClient.getTransaction({ hash: r.hash })).nonce),
    );
    assert.deepEqual(
      [...nonces].sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => before + i),
    );
    const bal = await clients.publicClient.readContract({
      address: token,
      abi: omniTokenAbi,
      functionName: "balanceOf",
      args: [devAddress(7)],
    });
    assert.equal(bal, 78n); // 1 + 2 + ... + 12
    assert.ok(results.every((r) => r.cost > 0n));
  });

  it("a call that would revert costs nothing and names the custom error", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(3) }); // holds no OMNIT
    const s = new Submitter({ clients, gas, logger });
    const nonce = await clients.publicClient.getTransactionCount({ address: clients.account.address });
    await assert.rejects(
      s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 1n],
      }),
      (e: unknown) =>
        e instanceof TxRevertError && e.errorName === "ERC20InsufficientBalance" && !e.retryable,
    );
    assert.equal(
      await clients.publicClient.getTransactionCount({ address: clients.account.address }),
      nonce,
      "nothing sent",
    );
  });

  it("refuses to pay above the gas cap", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s = new Submitter({ clients, gas: { ...gas, maxFeePerGasGwei: 0.000000001 }, logger });
    await assert.rejects(
      s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 1n],
      }),
      (e: unknown) => e instanceof GasCapError && e.retryable && /gas\.maxFeePerGasGwei/.test(e.message),
    );
  });

  it("the profitability guard skips a transaction whose reward does not pay its gas", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s = new Submitter({ clients, gas, logger, omnitPerEth: 1000, profitFactor: 1 });
    await assert.rejects(
      s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 1n],
        expectedReward: 1n,
      }),
      (e: unknown) => e instanceof UnprofitableError && !e.retryable,
    );
    const ok = await s.send({
      address: token,
      abi: omniTokenAbi as Abi,
      functionName: "transfer",
      args: [devAddress(7), 1n],
      expectedReward: 10n ** 21n,
    });
    assert.equal(ok.receipt.status, "success");
  });
});
