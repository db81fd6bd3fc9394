/**
 * The user CLI commands (model register, task create/status/result, node stake/unstake/status,
 * deployment show) against a real `hardhat node` with the four contracts deployed: a few runs go
 * through the real binary (`node workers/bin/omnitensor.mjs`), the rest call the dispatcher in
 * process (same code, faster). Nodes commit and reveal with the real §7 encodings.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  createPublicClient,
  http,
  keccak256,
  parseEther,
  toHex,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import {
  devAddress,
  devKey,
  increaseTime,
  mine,
  transferOmnit,
  type LocalChain,
} from "../../support/devnet.ts";
import { modelRegistryAbi, omniTokenAbi, taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import {
  cliFolder,
  nodeCommit as commitAs,
  nodeReveal as revealAs,
  runBin,
  runIn as runCli,
  savedResultKey,
} from "../../support/cli.ts";
import { TestNetwork } from "../../support/e2e.ts";

const REQUESTER = 5;
const OUT = '{"outputs":[{"name":"y","dims":[1,2],"data":[1,2]}]}';
const INPUT = '{"inputs":{"x":{"type":"float16","dims":[1,2],"data":[1,2]}}}';

/**
 * The dispatcher with the key variables cleared for each call: a key left in the environment (by
 * the shell, or by another test file: `hardhat test` runs every file in one process) must not
 * decide what these tests see; they pass --key where a command signs.
 */
const runIn = (args: string[]) => runCli(args, {});

describe("user CLI commands against hardhat node", () => {
  const net = new TestNetwork({
    name: "user-commands",
    nodes: [
      { index: 1, roles: 1, stake: parseEther("20000") },
      { index: 2, roles: 1, stake: parseEther("20000") },
    ],
    requester: REQUESTER,
    intervalMiningMs: 0,
  });
  let chain: LocalChain;
  let d: Deployment;
  let dir: string;
  let deployments: string;
  let keyDir: string;
  let conn: string[];
  let modelId: Hex;

  const read = <T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
    createPublicClient({ transport: http(chain.rpcUrl) }).readContract({
      address,
      abi,
      functionName,
      args,
    }) as Promise<T>;
  const nodeCommit = (index: number, taskId: bigint, resultKey: Hex) =>
    commitAs(chain, d, index, taskId, resultKey, OUT);
  const nodeReveal = (index: number, taskId: bigint) => revealAs(chain, d, index, taskId, OUT);
  const resultKeyOfTask = (taskId: bigint) => savedResultKey(keyDir, chain.chainId, taskId);
  /** `task create` of INPUT to `model` for `reward`, then `rest`, then the connection flags. */
  const taskCreate = (model: string, reward: string, ...rest: string[]) => [
    ...["task", "create", "--model", model, "--input-json", INPUT, "--reward", reward],
    ...rest,
    ...conn,
  ];
  /** `model register` of the half fixture with `uri` and `spec`, then `rest`, then the connection flags. */
  const modelRegister = (uri: string, spec: string, ...rest: string[]) => [
    ...["model", "register", "--onnx", "test/fixtures/models/half.onnx", "--uri", uri, "--spec", spec],
    ...rest,
    ...conn,
  ];

  before(async () => {
    ({ chain, d } = await net.start());
    await transferOmnit(chain.rpcUrl, d, [devAddress(6)], parseEther("10000"));
    const folder = await cliFolder(chain, d, "omnit-cli-");
    net.onStop(() => folder.remove());
    ({ dir, deployments, keyDir, conn } = folder);
  });
  after(() => net.stop());

  it("deployment show (real binary) prints addresses, parameters and node counts", async () => {
    const r2 = await runBin(["deployment", "show", ...conn], {});
    assert.equal(r2.code, 0, r2.err);
    for (const a of Object.values(d.contracts)) assert.ok(r2.out.includes(a), `shows ${a}`);
    assert.match(r2.out, /seatWindow\s+18000 s \(5 h\)/);
    assert.match(r2.out, /minStake\s+10000 OMNIT/);
    assert.match(r2.out, /2 active \(2 compute, 0 validator\)/);
    const j = await runIn(["deployment", "show", "--json", ...conn]);
    const parsed = JSON.parse(j.out) as { chainId: number; parameters: Record<string, string> };
    assert.equal(parsed.chainId, chain.chainId);
    assert.equal(parsed.parameters.maxRedundancy, "10");
  });

  it("says what to do when there is no deployment or no RPC", async () => {
    const empty = join(dir, "none");
    await mkdir(empty);
    const r = await runIn(["deployment", "show", "--rpc", chain.rpcUrl, "--deployments", empty]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`no deployment for chain ${chain.chainId}.*npm run deploy -- --network`));
    const u = await runIn([
      "deployment",
      "show",
      "--rpc",
      "http://127.0.0.1:9",
      "--deployments",
      deployments,
    ]);
    assert.equal(u.code, 1);
    assert.match(
      u.err,
      /RPC http:\/\/127.0.0.1:9 is unreachable: .*\nDetails: start a node \(npm run node\) or pass --rpc/,
    );
  });

  it("--help explains each command with an example; the binary lists them all", async () => {
    for (const cmd of [
      ["model", "register"],
      ["task", "create"],
      ["task", "status"],
      ["task", "result"],
      ["node", "stake"],
      ["node", "unstake"],
      ["node", "status"],
      ["deployment", "show"],
    ]) {
      const r = await runIn([...cmd, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^Usage: omnitensor ${cmd.join(" ")}`));
      assert.match(r.out, /Example:\n\s+.*omnitensor /);
    }
    const list = await runBin(["--help"], {});
    assert.equal(list.code, 0);
    for (const name of [
      "model register",
      "task create",
      "task status",
      "task result",
      "node stake",
      "node unstake",
      "node status",
      "deployment show",
    ])
      assert.ok(list.out.includes(name), `listed: ${name}`);
  });

  it("model register checks the spec, registers, and prints the model id", async () => {
    const key = devKey(REQUESTER);
    const bad = join(dir, "bad.spec.json");
    await writeFile(bad, '{"inputs":[],"outputs":[]}');
    const b = await runIn(modelRegister("https://x/half.onnx", bad, "--key", key));
    assert.equal(b.code, 1);
    assert.match(b.err, /--spec: .* is not a valid model spec/);
    const nokey = await runIn(modelRegister("https://x", "test/fixtures/models/half.spec.json"));
    assert.equal(nokey.code, 1);
    assert.match(nokey.err, /signs a transaction: set REQUESTER_PRIVATE_KEY \(or PRIVATE_KEY/);

    const r = await runIn(
      modelRegister(
        "https://example.org/half.onnx",
        "test/fixtures/models/half.spec.json",
        "--royalty",
        "50",
        "--key",
        key,
      ),
    );
    assert.equal(r.code, 0, r.err);
    const m = /model registered: (0x[0-9a-f]{64})/.exec(r.out);
    assert.ok(m, r.out);
    modelId = m[1] as Hex;
    assert.equal(await read<boolean>(d.contracts.ModelRegistry, modelRegistryAbi, "exists", [modelId]), true);
    const again = await runIn(
      modelRegister("https://x", "test/fixtures/models/half.spec.json", "--key", key),
    );
    assert.equal(again.code, 1);
    assert.match(again.err, /ModelRegistryAlreadyRegistered/);
  });

  it("task create saves the result key (0600, never printed); status and result read the task", async () => {
    const key = devKey(REQUESTER);
    const r = await runIn(taskCreate(modelId, "5", "--redundancy", "2", "--key", key, "--key-dir", keyDir));
    assert.equal(r.code, 0, r.err);
    const id = BigInt(/task created: (\d+)/.exec(r.out)![1]);
    assert.match(r.out, /reward escrowed: 5 OMNIT/);
    const keyFile = join(keyDir, String(chain.chainId), `task-${id}.json`);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const saved = JSON.parse(await readFile(keyFile, "utf8")) as { privateKey: string };
    assert.ok(!r.out.includes(saved.privateKey.slice(2)), "the result private key is not printed");
    assert.ok(!r.out.includes(key.slice(2)), "the account key is not printed");

    const st = await runIn(["task", "status", String(id), ...conn]);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, new RegExp(`task ${id}: Seating`));
    assert.match(st.out, /seats:\s+0\/2/);
    assert.match(st.out, /reward:\s+5 OMNIT, 2 seat\(s\)/);

    await mine(chain.rpcUrl, 2);
    await nodeCommit(1, id, await resultKeyOfTask(id));
    const res = await runIn(["task", "result", String(id), "--key-dir", keyDir, ...conn]);
    assert.equal(res.code, 0, res.err);
    assert.ok(res.out.includes(`${devAddress(1)} (seat): ok  ${keccak256(toHex(OUT))}  ${OUT}`), res.out);
    const st2 = await runIn(["task", "status", String(id), ...conn]);
    assert.match(st2.out, /seats:\s+1\/2/);

    const other = await runIn(["task", "result", String(id), "--key-dir", join(dir, "elsewhere"), ...conn]);
    assert.equal(other.code, 1);
    assert.match(other.err, /no result key for task/);
    const missing = await runIn(["task", "status", "999", ...conn]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /task 999 does not exist/);
  });

  it("task create refuses an unknown model, an unfunded account and a bad key, saying why", async () => {
    const unknown = await runIn(
      taskCreate(keccak256(toHex("x")), "5", "--key", devKey(REQUESTER), "--key-dir", keyDir),
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /is not registered on this chain/);
    const poor = await runIn(taskCreate(modelId, "5", "--key", devKey(9), "--key-dir", keyDir));
    assert.equal(poor.code, 1);
    assert.match(poor.err, /holds 0 OMNIT but the task's reward needs 5 OMNIT/);
    const badKey = await runIn(taskCreate(modelId, "5", "--key", "0xsecretvalue"));
    assert.equal(badKey.code, 1);
    assert.match(badKey.err, /--key: not a private key/);
    assert.ok(!badKey.err.includes("secretvalue"), "the bad key is not echoed");
    const wei = await runIn(taskCreate(modelId, "5e18", "--key", devKey(REQUESTER)));
    assert.equal(wei.code, 1);
    assert.match(wei.err, /reward: "5e18" is not an amount of OMNIT/);
  });

  it("task create --wait (real binary) prints progress and the result while nodes work", async () => {
    let taskId: bigint | undefined;
    const lines: string[] = [];
    const run = runBin(
      taskCreate(modelId, "4", "--redundancy", "2", "--wait"),
      { PRIVATE_KEY: devKey(REQUESTER), OMNITENSOR_HOME: keyDir },
      (line) => {
        lines.push(line);
        const m = /task created: (\d+)/.exec(line);
        if (m) taskId = BigInt(m[1]);
      },
    );
    const waitFor = async (re: RegExp, what: string) => {
      const end = Date.now() + 60_000;
      while (!lines.some((l) => re.test(l))) {
        if (Date.now() > end) throw new Error(`no "${what}" line; got:\n${lines.join("\n")}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await waitFor(/Seating: waiting for compute nodes/, "seating");
    const id = taskId!;
    await mine(chain.rpcUrl, 2);
    const rk = await resultKeyOfTask(id);
    await nodeCommit(1, id, rk);
    await nodeCommit(2, id, rk);
    await waitFor(/node .* committed \(seat\): output/, "commitment");
    await increaseTime(chain.rpcUrl, 20 * 3600);
    await nodeReveal(1, id);
    await increaseTime(chain.rpcUrl, 3 * 3600);
    await waitFor(/revealed for late node/, "late reveal");
    await increaseTime(chain.rpcUrl, 2 * 3600);
    const r = await run;
    assert.equal(r.code, 0, `${r.err}\n${r.out}`);
    assert.ok(r.out.includes(`result: ${OUT}`), r.out);
    assert.match(r.out, /Finalized: finalized: output 0x[0-9a-f]{64} accepted \(2 votes, 0 others\)/);
    assert.match(r.out, /delivered/);
    assert.ok(!r.out.includes(devKey(REQUESTER).slice(2)), "the key is not printed");
    const t = await read<{ delivered: boolean; acceptedOutputHash: Hex }>(
      d.contracts.TaskManager,
      taskManagerAbi,
      "getTask",
      [id],
    );
    assert.equal(t.delivered, true);
    assert.equal(t.acceptedOutputHash, keccak256(toHex(OUT)));
  });

  it("node stake, status and unstake (then withdraw after the unbonding period)", async () => {
    const key = devKey(6);
    const me = devAddress(6);
    const s = await runIn([
      "node",
      "stake",
      "--amount",
      "10000",
      "--roles",
      "compute,validator",
      "--metadata",
      "https://node6",
      "--key",
      key,
      ...conn,
    ]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /staked 10000 OMNIT as compute,validator/);
    assert.match(s.out, /stake 10000 OMNIT, active/);
    const st = await runIn(["node", "status", me, ...conn]);
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /roles:\s+compute,validator/);
    assert.match(st.out, /stake:\s+10000 OMNIT \(minStake 10000\)/);
    assert.match(st.out, /metadata:\s+https:\/\/node6/);
    const badRoles = await runIn([
      "node",
      "stake",
      "--amount",
      "1",
      "--roles",
      "miner",
      "--key",
      key,
      ...conn,
    ]);
    assert.equal(badRoles.code, 1);
    assert.match(badRoles.err, /roles: unknown role "miner"/);

    const u = await runIn(["node", "unstake", "--amount", "500", "--key", key, ...conn]);
    assert.equal(u.code, 0, u.err);
    assert.match(u.out, /unbonding 500 OMNIT, withdrawable from/);
    assert.match(u.out, /stake left: 9500 OMNIT \(inactive\)/);
    const early = await runIn(["node", "unstake", "--withdraw", "--key", key, ...conn]);
    assert.equal(early.code, 1);
    assert.match(early.err, /500 OMNIT unbonds at .*; withdraw after that/);
    await increaseTime(chain.rpcUrl, 7 * 24 * 3600 + 60);
    const before = await read<bigint>(d.contracts.OmniToken, omniTokenAbi, "balanceOf", [me]);
    const w = await runIn(["node", "unstake", "--withdraw", "--key", key, ...conn]);
    assert.equal(w.code, 0, w.err);
    assert.match(w.out, /withdrew 500 OMNIT/);
    assert.equal(
      (await read<bigint>(d.contracts.OmniToken, omniTokenAbi, "balanceOf", [me])) - before,
      parseEther("500"),
    );
    const own = await runIn(["node", "status", "--json", "--key", key, ...conn]);
    assert.equal((JSON.parse(own.out) as { unbonding: string }).unbonding, "0");
  });
});
