/**
 * Issue 17 items 3, 4 and 7 through the CLI, against a real `hardhat node` with the contracts:
 * which key signs (one rule, printed), funding a fresh node key (dev faucet, token transfer),
 * moving a local chain's clock (dev advance, refused elsewhere), the `verifier` alias of the
 * validator role, the requester's task cancel / dispute / reveal / finalize, and the input
 * checks made before the escrow moves (--force sends anyway).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createPublicClient, http, parseEther, zeroHash, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  chainTime,
  devAddress,
  devKey,
  increaseTime,
  mine,
  rpc,
  setIntervalMining,
  type LocalChain,
} from "../../support/devnet.ts";
import { omniTokenAbi, taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { cliFolder, nodeCommit as commitAs, runIn as runCli, savedResultKey } from "../../support/cli.ts";
import { TestNetwork } from "../../support/e2e.ts";
import { resolveKey } from "../../../workers/src/cli/options.ts";
import { connect } from "../../../workers/src/sdk/context.ts";
import { buildTaskRequest, createTask } from "../../../workers/src/sdk/createTask.ts";
import { InvalidTaskInputError } from "../../../workers/src/sdk/inputCheck.ts";

/** The dispatcher with the key variables cleared (then `env` applied) for each call. */
const runIn = (args: string[], env: Record<string, string | undefined> = {}) => runCli(args, env);

const REQUESTER = 5;
const OUT = '{"outputs":[{"name":"y","dims":[1,2],"data":[1,2]}]}';
const OTHER = '{"outputs":[{"name":"y","dims":[1,2],"data":[2,1]}]}';
const INPUT = '{"inputs":{"x":{"type":"float16","dims":[1,2],"data":[1,2]}}}';

describe("CLI accounts, funding, clock and requester task commands (issue 17 items 3, 4, 7)", () => {
  const net = new TestNetwork({
    name: "accounts-tasks",
    nodes: [
      { index: 1, roles: 1, stake: parseEther("20000") },
      { index: 2, roles: 1, stake: parseEther("20000") },
      { index: 3, roles: 2, stake: parseEther("20000") },
    ],
    requester: REQUESTER,
    intervalMiningMs: 0,
  });
  let chain: LocalChain;
  let d: Deployment;
  let keyDir: string;
  let conn: string[];
  let modelId: Hex;

  const pc = () => createPublicClient({ transport: http(chain.rpcUrl) });
  const omnitOf = (a: Address) =>
    pc().readContract({
      address: d.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "balanceOf",
      args: [a],
    });
  const nodeCommit = async (index: number, taskId: bigint, output: string) =>
    commitAs(chain, d, index, taskId, await savedResultKey(keyDir, chain.chainId, taskId), output);
  /** `task create` of INPUT for 5 OMNIT with `extra` flags (the result key saved in keyDir). */
  const taskCreate = (extra: string[] = []) => [
    ...["task", "create", "--model", modelId, "--input-json", INPUT, "--reward", "5", "--key-dir", keyDir],
    ...extra,
    ...conn,
  ];
  const createTaskCli = async (extra: string[] = []) => {
    const r = await runIn(taskCreate(extra), { REQUESTER_PRIVATE_KEY: devKey(REQUESTER) });
    assert.equal(r.code, 0, r.err);
    return BigInt(/task created: (\d+)/.exec(r.out)![1]);
  };

  before(async () => {
    ({ chain, d } = await net.start());
    const folder = await cliFolder(chain, d, "omnit-cli2-");
    net.onStop(() => folder.remove());
    ({ keyDir, conn } = folder);
    const reg = await runIn(
      [
        "model",
        "register",
        "--onnx",
        "test/fixtures/models/half.onnx",
        "--uri",
        "https://example.org/half.onnx",
        "--spec",
        "test/fixtures/models/half.spec.json",
        ...conn,
      ],
      { REQUESTER_PRIVATE_KEY: devKey(REQUESTER) },
    );
    assert.equal(reg.code, 0, reg.err);
    modelId = /model registered: (0x[0-9a-f]{64})/.exec(reg.out)![1] as Hex;
  });
  after(() => net.stop());

  it("one key rule: the role's own variable wins over PRIVATE_KEY, --key over both", () => {
    const env = { PRIVATE_KEY: devKey(1), REQUESTER_PRIVATE_KEY: devKey(2), NODE_PRIVATE_KEY: devKey(3) };
    assert.deepEqual(resolveKey(undefined, "requester", env), {
      key: devKey(2),
      source: "REQUESTER_PRIVATE_KEY",
    });
    assert.deepEqual(resolveKey(undefined, "node", env), { key: devKey(3), source: "NODE_PRIVATE_KEY" });
    assert.deepEqual(resolveKey(undefined, "node", { PRIVATE_KEY: devKey(1) }), {
      key: devKey(1),
      source: "PRIVATE_KEY",
    });
    assert.deepEqual(resolveKey(devKey(4), "requester", env), { key: devKey(4), source: "--key" });
    assert.equal(resolveKey(undefined, "requester", {}), undefined);
    assert.throws(
      () => resolveKey(undefined, "node", { NODE_PRIVATE_KEY: "0x12" }),
      /NODE_PRIVATE_KEY: not a private key/,
    );
  });

  it("a command that signs prints 'signing as'; REQUESTER_PRIVATE_KEY is the requester even when PRIVATE_KEY is set", async () => {
    const r = await runIn(taskCreate(), { REQUESTER_PRIVATE_KEY: devKey(REQUESTER), PRIVATE_KEY: devKey(1) });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`signing as ${devAddress(REQUESTER)} \\(from REQUESTER_PRIVATE_KEY\\)`));
    const id = BigInt(/task created: (\d+)/.exec(r.out)![1]);
    const t = await pc().readContract({
      address: d.contracts.TaskManager,
      abi: taskManagerAbi,
      functionName: "getTask",
      args: [id],
    });
    assert.equal(t.requester, devAddress(REQUESTER));
    const ro = await runIn(["task", "status", String(id), ...conn], { PRIVATE_KEY: devKey(1) });
    assert.equal(ro.code, 0, ro.err);
    assert.doesNotMatch(ro.err, /signing as/, "a read-only command signs nothing");
  });

  it("a fresh node key: dev faucet gives gas and OMNIT, token transfer adds OMNIT, node stake with the verifier alias", async () => {
    const nodeKey = generatePrivateKey();
    const node = privateKeyToAccount(nodeKey).address;
    const f = await runIn(["dev", "faucet", node, "--eth", "5", "--omnit", "15000", ...conn]);
    assert.equal(f.code, 0, f.err);
    assert.match(f.err, /signing as 0x[0-9a-fA-F]{40} \(from the local chain's treasury account/);
    assert.match(f.out, new RegExp(`funded ${node}: now 5 ETH \\(gas\\) and 15000 OMNIT`));
    assert.equal(await pc().getBalance({ address: node }), parseEther("5"));
    const t = await runIn(["token", "transfer", node, "500", ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
      PRIVATE_KEY: devKey(1),
    });
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, new RegExp(`signing as ${devAddress(REQUESTER)} \\(from REQUESTER_PRIVATE_KEY\\)`));
    assert.match(t.out, new RegExp(`sent 500 OMNIT to ${node}`));
    assert.equal(await omnitOf(node), parseEther("15500"));
    const poor = await runIn(["token", "transfer", node, "1000000", ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(poor.code, 1);
    assert.match(poor.err, /holds .* OMNIT but the transfer needs 1000000 OMNIT/);

    const s = await runIn(["node", "stake", "--amount", "12000", "--roles", "compute,verifier", ...conn], {
      NODE_PRIVATE_KEY: nodeKey,
      PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(s.code, 0, s.err);
    assert.match(s.err, new RegExp(`signing as ${node} \\(from NODE_PRIVATE_KEY\\)`));
    assert.match(s.out, /staked 12000 OMNIT as compute,validator/);
    const st = await runIn(["node", "status", "--json", ...conn], { NODE_PRIVATE_KEY: nodeKey });
    assert.equal(st.code, 0, st.err);
    const j = JSON.parse(st.out) as { node: string; roles: number; active: boolean };
    assert.equal(j.node, node);
    assert.equal(j.roles, 3);
    assert.equal(j.active, true);
    // Roles alone (no --amount): the stake stays, the metadata URI is kept.
    const r = await runIn(["node", "stake", "--roles", "compute", "--metadata", "https://n", ...conn], {
      NODE_PRIVATE_KEY: nodeKey,
    });
    assert.equal(r.code, 0, r.err);
    // Taking back the validator role it just dropped waits out the cooldown (PROTOCOL.md §1, v4).
    const r2 = await runIn(["node", "stake", "--roles", "validator", ...conn], { NODE_PRIVATE_KEY: nodeKey });
    assert.equal(r2.code, 1, r2.out);
    assert.match(r2.err, /NodeStakingCooldown/);
    const st2 = JSON.parse((await runIn(["node", "status", node, "--json", ...conn])).out) as {
      roles: number;
      stake: string;
      metadataURI: string;
    };
    assert.deepEqual(
      [st2.roles, st2.stake, st2.metadataURI],
      [1, parseEther("12000").toString(), "https://n"],
    );
  });

  it("dev advance moves a local chain's clock and refuses any other chain", async () => {
    const before = await chainTime(chain.rpcUrl);
    const r = await runIn(["dev", "advance", "5h", "--rpc", chain.rpcUrl]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /advanced the clock by 18000 s/);
    assert.ok((await chainTime(chain.rpcUrl)) >= before + 18000n);
    const bad = await runIn(["dev", "advance", "five hours", "--rpc", chain.rpcUrl]);
    assert.equal(bad.code, 2);
    // A JSON-RPC endpoint that says it is chain 1 (mainnet): refused before any dev method is sent.
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c));
      req.on("end", () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        seen.push(method);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ jsonrpc: "2.0", id, result: method === "eth_chainId" ? "0x1" : null }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    try {
      const m = await runIn(["dev", "advance", "1h", "--rpc", `http://127.0.0.1:${port}`]);
      assert.equal(m.code, 1);
      assert.match(m.err, /works on local development chains only \(chain id 31337 or 1337\); .* is chain 1/);
      const f = await runIn(["dev", "faucet", devAddress(9), "--rpc", `http://127.0.0.1:${port}`]);
      assert.equal(f.code, 1);
      assert.match(f.err, /works on local development chains only/);
      assert.deepEqual([...new Set(seen)], ["eth_chainId"]);
    } finally {
      server.close();
    }
  });

  it("task cancel gives the escrow back when no node took a seat (refused while seats are open)", async () => {
    const id = await createTaskCli();
    const early = await runIn(["task", "cancel", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(early.code, 1);
    assert.match(early.err, /seats are open until .*: cancel after that/);
    const other = await runIn(["task", "cancel", String(id), ...conn], { REQUESTER_PRIVATE_KEY: devKey(1) });
    assert.equal(other.code, 1);
    assert.match(other.err, /only its requester may cancel it/);
    await increaseTime(chain.rpcUrl, 5 * 3600 + 1);
    const before = await omnitOf(devAddress(REQUESTER));
    const c = await runIn(["task", "cancel", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, new RegExp(`task ${id} cancelled: 5 OMNIT came back`));
    assert.equal((await omnitOf(devAddress(REQUESTER))) - before, parseEther("5"));
    const st = await runIn(["task", "status", String(id), ...conn]);
    assert.match(st.out, new RegExp(`task ${id}: Cancelled`));
  });

  it("task dispute escrows the bond when outputs disagree; task reveal reveals late nodes; task finalize settles", async () => {
    const id = await createTaskCli(["--redundancy", "2"]);
    await mine(chain.rpcUrl, 2);
    await nodeCommit(1, id, OUT);
    await nodeCommit(2, id, OTHER);
    const res = await runIn(["task", "result", String(id), "--key-dir", keyDir, ...conn]);
    assert.match(res.out, /the outputs DISAGREE/);
    assert.match(res.out, new RegExp(`node ${devAddress(2)}'s sealed output disagrees`), "names the node");
    await increaseTime(chain.rpcUrl, 5 * 3600 + 1);
    const before = await omnitOf(devAddress(REQUESTER));
    const dsp = await runIn(["task", "dispute", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(dsp.code, 0, dsp.err);
    assert.match(dsp.out, new RegExp(`task ${id} disputed: bond 5 OMNIT escrowed`));
    assert.equal(before - (await omnitOf(devAddress(REQUESTER))), parseEther("5"));
    const again = await runIn(["task", "dispute", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(again.code, 1);
    assert.match(again.err, /already disputed/);

    const early = await runIn(["task", "reveal", String(id), "--key-dir", keyDir, ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(early.code, 1);
    assert.match(early.err, /reveals open at/);
    await increaseTime(chain.rpcUrl, 15 * 3600);
    const rv = await runIn(["task", "reveal", String(id), "--key-dir", keyDir, ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(rv.code, 0, rv.err);
    assert.match(rv.out, /revealed 2 late commitment\(s\) of 2/);
    const tooSoon = await runIn(["task", "finalize", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(tooSoon.code, 1);
    assert.match(tooSoon.err, /finalize after the reveal deadline/);
    await increaseTime(chain.rpcUrl, 4 * 3600 + 1);
    const fin = await runIn(["task", "finalize", String(id), ...conn], {
      REQUESTER_PRIVATE_KEY: devKey(REQUESTER),
    });
    assert.equal(fin.code, 0, fin.err);
    assert.match(fin.out, new RegExp(`task ${id} (Finalized|Unresolved)`));
  });

  it("task fix-seed stores a known seed, re-anchors a lost one (257+ blocks) and stores it two blocks later", async () => {
    const env = { NODE_PRIVATE_KEY: devKey(1) };
    const seedOf = async (id: bigint) =>
      (await pc().readContract({
        address: d.contracts.TaskManager,
        abi: taskManagerAbi,
        functionName: "getTask",
        args: [id],
      })) as { seatSeed: Hex; seatSeedBlock: bigint };
    // no block without a transaction while this test runs (the node mines one a second): the seed of a task
    // created in block b stays unknown until someone mines b + 2, however slow the machine
    await setIntervalMining(chain.rpcUrl, 0);
    const id = await createTaskCli();
    const early = await runIn(["task", "fix-seed", String(id), "--kind", "seats", ...conn], env);
    await setIntervalMining(chain.rpcUrl, 1000);
    assert.equal(early.code, 0, early.err);
    assert.match(early.out, /seats seed: not known yet/);
    await mine(chain.rpcUrl, 2);
    const ok = await runIn(["task", "fix-seed", String(id), ...conn], env);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, new RegExp(`task ${id} seats seed stored`));
    assert.match(ok.out, /verifiers seed: not asked for/);
    assert.notEqual(BigInt((await seedOf(id)).seatSeed), 0n);

    const lost = await createTaskCli();
    const asked = (await seedOf(lost)).seatSeedBlock;
    await rpc(chain.rpcUrl, "hardhat_mine", ["0x12c"]); // 300 blocks: blockhash(b + 1) no longer answers
    const re = await runIn(["task", "fix-seed", String(lost), "--kind", "seats", ...conn], env);
    assert.equal(re.code, 0, re.err);
    assert.match(re.out, /seats seed was lost: re-anchored to block (\d+); run this command again/);
    const moved = await seedOf(lost);
    assert.ok(moved.seatSeedBlock > asked + 257n, "re-anchored to the block of the call");
    assert.equal(BigInt(moved.seatSeed), 0n);
    await mine(chain.rpcUrl, 1);
    const stored = await runIn(["task", "fix-seed", String(lost), "--kind", "seats", ...conn], env);
    assert.match(stored.out, /seats seed stored/);
    assert.notEqual(BigInt((await seedOf(lost)).seatSeed), 0n);
    const bad = await runIn(["task", "fix-seed", String(lost), "--kind", "all", ...conn], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--kind: "all" must be seats, verifiers or jury/);
  });

  it("task create checks the input before the escrow moves, naming the field; --force sends anyway", async () => {
    const env = { REQUESTER_PRIVATE_KEY: devKey(REQUESTER) };
    const base = ["task", "create", "--model", modelId, "--reward", "5", "--key-dir", keyDir, ...conn];
    const before = await omnitOf(devAddress(REQUESTER));
    const notJson = await runIn([...base, "--input-json", "{inputs: 1}"], env);
    assert.equal(notJson.code, 1);
    assert.match(notJson.err, /input: not JSON/);
    const dims = await runIn(
      [...base, "--input-json", '{"inputs":{"x":{"type":"float16","dims":[1,3],"data":[1,2,3]}}}'],
      env,
    );
    assert.equal(dims.code, 1);
    assert.match(dims.err, /input\.inputs\.x\.dims\[1\]: must be 2 \(model spec\)/);
    const type = await runIn(
      [...base, "--input-json", '{"inputs":{"x":{"type":"float32","dims":[1,2],"data":[1,2]}}}'],
      env,
    );
    assert.match(type.err, /input\.inputs\.x\.type: must be "float16"/);
    const name = await runIn(
      [...base, "--input-json", '{"inputs":{"z":{"type":"float16","dims":[1,2],"data":[1,2]}}}'],
      env,
    );
    assert.match(name.err, /input\.inputs\.z: the model has no input of that name/);
    const big = await runIn(
      [
        ...base,
        "--input-json",
        JSON.stringify({
          inputs: { x: { type: "float16", dims: [1, 2], data: [1, 2] } },
          pad: "x".repeat(5000),
        }),
      ],
      env,
    );
    assert.match(big.err, /input: input is \d+ bytes, maxInputBytes is 4096/);
    assert.match(big.err, /--force/);
    assert.equal(await omnitOf(devAddress(REQUESTER)), before, "nothing was escrowed");
    const forced = await runIn(
      [...base, "--input-json", '{"inputs":{"x":{"type":"float16","dims":[1,3],"data":[1,2,3]}}}', "--force"],
      env,
    );
    assert.equal(forced.code, 0, forced.err);
    assert.match(forced.out, /task created: \d+/);

    // The SDK: NaN / Infinity in an input object (JSON.stringify would send null), an all-zero result key.
    const ctx = await connect({ rpcUrl: chain.rpcUrl, privateKey: devKey(REQUESTER), deployment: d });
    await assert.rejects(
      createTask(ctx, {
        modelId,
        reward: "5",
        input: { inputs: { x: { type: "float16", dims: [1, 2], data: [1, NaN] } } },
      }),
      (e: unknown) =>
        e instanceof InvalidTaskInputError &&
        e.field === "input.inputs.x.data[1]" &&
        /NaN is not a JSON number/.test(e.message),
    );
    await assert.rejects(
      createTask(ctx, {
        modelId,
        reward: "5",
        input: { inputs: { x: { type: "float16", dims: [1, 2], data: [Infinity, 1] } } },
      }),
      (e: unknown) => e instanceof InvalidTaskInputError && e.field === "input.inputs.x.data[0]",
    );
    assert.throws(
      () => buildTaskRequest({ modelId, reward: "5", input: INPUT }, zeroHash),
      (e: unknown) => e instanceof InvalidTaskInputError && e.field === "resultKey",
    );
    assert.equal(
      buildTaskRequest({ modelId, reward: "5", input: INPUT, force: true }, zeroHash).resultKey,
      zeroHash,
    );
    assert.equal(
      await omnitOf(devAddress(REQUESTER)),
      before - parseEther("5"),
      "only the forced task escrowed",
    );
  });
});
