/** The submitter against a real `hardhat node`: nonce lock, simulation before send, caps. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { parseAbi, type Abi, type Address, type Hex } from "viem";
import {
  deployContract,
  devAddress,
  devKey,
  mine,
  setAutomine,
  setIntervalMining,
  startHardhatNode,
  type LocalChain,
} from "../../support/devnet.ts";
import { createClients } from "../../../workers/src/chain/clients.ts";
import { keyState, Mutex, Submitter } from "../../../workers/src/chain/submitter.ts";
import {
  ChainError,
  GasCapError,
  InvalidCallError,
  NonceClashError,
  ReceiptTimeoutError,
  TxRevertError,
  UnprofitableError,
} from "../../../workers/src/chain/errors.ts";
import { OmniTensorError } from "../../../workers/src/protocol/errors.ts";
import { omniTokenAbi } from "../../../workers/src/chain/abis.ts";

const logger = pino({ level: "silent" });
const gas = { maxFeePerGasGwei: 500, maxPriorityFeePerGasGwei: 2, replaceAfterMs: 30_000, bumpPercent: 15 };

describe("submitter", () => {
  let chain: LocalChain;
  let token: Address;

  before(async () => {
    chain = await startHardhatNode();
    await setIntervalMining(chain.rpcUrl, 0); // blocks only when a test sends or mines
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

  it("names a nonce taken by another sender of the same key a nonce clash, never a revert, and recovers", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(4) });
    const s = new Submitter({ clients, gas, logger });
    const transfer = (v: bigint) => ({
      address: token,
      abi: omniTokenAbi as Abi,
      functionName: "transfer",
      args: [devAddress(7), v],
    });
    await new Submitter({
      clients: createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) }),
      gas,
      logger,
    }).send({ ...transfer(10n ** 20n), args: [devAddress(4), 10n ** 20n] });
    await s.send(transfer(1n)); // this process now knows its next nonce
    // Another process with the same key sends with that very nonce.
    const next = await clients.publicClient.getTransactionCount({ address: clients.account.address });
    const other = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(4) });
    await other.walletClient.sendTransaction({ to: devAddress(8), value: 1n, nonce: next });
    await assert.rejects(s.send(transfer(2n)), (e: unknown) => {
      assert.ok(e instanceof NonceClashError, `${(e as Error).name}: ${(e as Error).message}`);
      assert.ok(!(e instanceof TxRevertError));
      assert.ok(e instanceof OmniTensorError && e.code === "NONCE_CLASH");
      assert.match(e.message, /nonce clash: nonce \d+ of 0x[0-9a-fA-F]{40} was used by another sender/);
      assert.doesNotMatch(e.message, /would revert/);
      assert.ok(e.retryable, "the job may run again with a fresh nonce");
      return true;
    });
    const ok = await s.send(transfer(3n)); // the nonce is read again from the chain
    assert.equal(ok.receipt.status, "success");
  });

  it("bounds the wait for a receipt: replaces, then gives up with ReceiptTimeoutError (retryable)", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s = new Submitter({
      clients,
      gas: { ...gas, replaceAfterMs: 400, receiptTimeoutMs: 1500 },
      logger,
    });
    await setAutomine(chain.rpcUrl, false); // transactions wait in the mempool: no receipt ever comes
    try {
      const t0 = Date.now();
      await assert.rejects(
        s.send({
          address: token,
          abi: omniTokenAbi as Abi,
          functionName: "transfer",
          args: [devAddress(7), 1n],
        }),
        (e: unknown) => {
          assert.ok(e instanceof ReceiptTimeoutError, `${(e as Error).name}: ${(e as Error).message}`);
          assert.ok(e.retryable);
          assert.ok(e.hashes.length >= 2, "the stuck transaction was replaced before giving up");
          assert.match(e.message, /transfer: no receipt for nonce \d+ after \d+ s/);
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 6000, "bounded");
    } finally {
      await setAutomine(chain.rpcUrl, true);
      await mine(chain.rpcUrl, 1);
    }
  });

  it("a pending transaction whose nonce another sender's transaction took is a nonce clash, not a wait forever", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s = new Submitter({
      clients,
      gas: { ...gas, replaceAfterMs: 400, receiptTimeoutMs: 20_000 },
      logger,
    });
    const pc = clients.publicClient;
    const me = clients.account.address;
    await setAutomine(chain.rpcUrl, false);
    try {
      const sending = s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 1n],
      });
      const outcome = sending.then(
        () => undefined,
        (e: unknown) => e,
      );
      const nonce = await pc.getTransactionCount({ address: me });
      while ((await pc.getTransactionCount({ address: me, blockTag: "pending" })) === nonce)
        await new Promise((r) => setTimeout(r, 20));
      // Another process with the key replaces it in the mempool (same nonce, higher fees); it is mined.
      const other = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
      await other.walletClient.sendTransaction({
        to: devAddress(8),
        value: 1n,
        nonce,
        maxFeePerGas: 400n * 10n ** 9n,
        maxPriorityFeePerGas: 300n * 10n ** 9n,
      });
      await mine(chain.rpcUrl, 1);
      const e = await outcome;
      assert.ok(e instanceof NonceClashError, `${(e as Error)?.name}: ${(e as Error)?.message}`);
      assert.equal(e.nonce, nonce);
      assert.match(e.message, /nonce clash: .*mined by a transaction that is not ours/);
    } finally {
      await setAutomine(chain.rpcUrl, true);
      await mine(chain.rpcUrl, 1);
    }
  });

  it("a call that needs more than 1.5× its function's earlier gas is estimated again, never sent out of gas", async () => {
    const consumer = await deployContract(chain.rpcUrl, "RecordingConsumer", []);
    const abi = parseAbi(["function onInferenceResult(uint256 taskId, bytes output)"]);
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(5) });
    const s = new Submitter({ clients, gas, logger });
    const record = (taskId: bigint, output: Hex) =>
      s.send({ address: consumer, abi, functionName: "onInferenceResult", args: [taskId, output] });
    const small = await record(1n, "0x01");
    // 640 bytes: 20 new storage slots, far above 1.5 × the first call's gas.
    const big = await record(2n, `0x${"ab".repeat(640)}`);
    assert.equal(big.receipt.status, "success");
    assert.ok(
      big.receipt.gasUsed > (small.receipt.gasUsed * 3n) / 2n,
      "the second call needs more than the old limit",
    );
  });

  it("a nonce count ahead of the chain (a devnet restarted under the node) is dropped for the chain's", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(6) });
    const s = new Submitter({ clients, gas, logger });
    const onChain = await clients.publicClient.getTransactionCount({ address: clients.account.address });
    keyState(clients.account.address).next = onChain + 7; // what this process counted on another chain
    const ok = await s.send({
      address: token,
      abi: omniTokenAbi as Abi,
      functionName: "approve",
      args: [devAddress(7), 1n],
    });
    assert.equal(ok.receipt.status, "success");
    const tx = await clients.publicClient.getTransaction({ hash: ok.hash });
    assert.equal(tx.nonce, onChain);
    assert.equal(keyState(clients.account.address).next, onChain + 1);
  });

  it("does not retry what can never succeed: arguments that cannot be encoded, a revert the contract names", async () => {
    const clients = createClients({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, privateKey: devKey(0) });
    const s = new Submitter({ clients, gas, logger });
    const nonce = await clients.publicClient.getTransactionCount({ address: clients.account.address });
    await assert.rejects(
      s.send({ address: token, abi: omniTokenAbi as Abi, functionName: "transfer", args: ["0x1234", 1n] }),
      (e: unknown) =>
        e instanceof InvalidCallError &&
        !e.retryable &&
        e.code === "INVALID_CALL" &&
        /transfer: invalid call/.test(e.message),
    );
    await assert.rejects(
      s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 2n ** 256n],
      }),
      (e: unknown) => e instanceof InvalidCallError && !e.retryable,
    );
    await assert.rejects(
      s.send({
        address: token,
        abi: omniTokenAbi as Abi,
        functionName: "transfer",
        args: [devAddress(7), 10n ** 40n],
      }),
      (e: unknown) =>
        e instanceof TxRevertError &&
        e.errorName === "ERC20InsufficientBalance" &&
        e instanceof ChainError &&
        !e.retryable,
    );
    assert.equal(await clients.publicClient.getTransactionCount({ address: clients.account.address }), nonce);
  });
});
