/**
 * `omnitensor gov delegate|propose|vote|queue|execute|status` against a real `hardhat node` with a
 * handed-over deployment (the timelock owns NodeStaking and TaskManager, PROTOCOL.md §10): a
 * parameter change from proposal to execution through the CLI alone, an out-of-bound value that
 * passes the vote and reverts at execution with the setter's error, and the refusals that say what
 * to do (too early, no votes, unknown function). The dispatcher runs in process.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http } from "viem";
import {
  devAddress,
  devKey,
  increaseTime,
  setIntervalMining,
  startHardhatNode,
  transferOmnit,
  type LocalChain,
} from "../../support/devnet.ts";
import { TEST_GOVERNANCE, deployGoverned, mineBlocks, parseEther } from "../../support/governance.ts";
import { taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { runIn as runCli } from "../../support/cli.ts";

/** The dispatcher with the key variables cleared: each signing call passes --key. */
const runIn = (args: string[]) => runCli(args, {});

const VOTER = 1; // 50M OMNIT: above the 4 % quorum (40M)
const NOBODY = 7; // no OMNIT, no votes

describe("gov CLI commands against hardhat node", () => {
  let chain: LocalChain;
  let d: Deployment;
  let dir: string;
  let conn: string[];
  const as = (index: number) => ["--key", devKey(index), ...conn];
  const idOf = (out: string) => {
    const m = /^proposal (\d+)/m.exec(out);
    assert.ok(m, `a proposal id in: ${out}`);
    return m[1];
  };
  const revealWindow = () =>
    createPublicClient({ transport: http(chain.rpcUrl) }).readContract({
      address: d.contracts.TaskManager,
      abi: taskManagerAbi,
      functionName: "revealWindow",
    });
  const propose = (value: string, description: string) =>
    runIn([
      "gov",
      "propose",
      "--target",
      "TaskManager",
      "--call",
      "setRevealWindow(uint256)",
      "--args",
      value,
      "--description",
      description,
      ...as(VOTER),
    ]);

  before(async () => {
    chain = await startHardhatNode();
    await setIntervalMining(chain.rpcUrl, 0); // blocks only when mined: the vote's blocks are the test's
    d = await deployGoverned(chain.rpcUrl);
    await transferOmnit(chain.rpcUrl, d, [devAddress(VOTER)], parseEther("50000000"));
    dir = await mkdtemp(join(tmpdir(), "omnit-gov-"));
    await mkdir(join(dir, "deployments"));
    await writeFile(join(dir, "deployments", `${chain.chainId}.json`), JSON.stringify(d));
    conn = ["--rpc", chain.rpcUrl, "--deployments", join(dir, "deployments")];
  });
  after(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gov status shows the timelock as owner and the parameters", async () => {
    const r = await runIn(["gov", "status", ...conn]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`timelock ${d.contracts.TimelockController}: delay 60 s`));
    assert.match(r.out, /TaskManager owner: 0x[0-9a-fA-F]{40} \(the timelock: governance\)/);
    assert.match(r.out, /lasts 20 block\(s\)/);
    assert.match(r.out, /quorum: 4 % of the supply \(40000000 OMNIT\)/);
  });

  it("takes setRevealWindow(7200) from delegate to execute", async () => {
    const del = await runIn(["gov", "delegate", ...as(VOTER)]);
    assert.equal(del.code, 0, del.err);
    assert.match(del.out, /now has 50000000 OMNIT of votes/);

    const p = await propose("7200", "Reveal window: 2 hours");
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /call: TaskManager\.setRevealWindow\(7200\)/);
    const id = idOf(p.out);

    const early = await runIn(["gov", "vote", "--id", id, "--support", "for", ...as(VOTER)]);
    assert.equal(early.code, 1);
    assert.match(early.err, /is Pending: voting opens after block/);

    await mineBlocks(chain.rpcUrl, TEST_GOVERNANCE.votingDelay + 1n);
    const v = await runIn(["gov", "vote", "--id", id, "--support", "for", ...as(VOTER)]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /tally: for 50000000 OMNIT, against 0 OMNIT/);
    const again = await runIn(["gov", "vote", "--id", id, "--support", "against", ...as(VOTER)]);
    assert.match(again.err, /has voted on proposal .* already/);
    const none = await runIn(["gov", "vote", "--id", id, "--support", "for", ...as(NOBODY)]);
    assert.match(none.err, /had no votes at the proposal's snapshot/);
    const notYet = await runIn(["gov", "queue", "--id", id, ...as(NOBODY)]);
    assert.match(notYet.err, /is Active; its vote ends at block/);

    await mineBlocks(chain.rpcUrl, TEST_GOVERNANCE.votingPeriod);
    const q = await runIn(["gov", "queue", "--id", id, ...as(NOBODY)]); // anyone may queue
    assert.equal(q.code, 0, q.err);
    assert.match(q.out, /queued: executable from/);
    const tooSoon = await runIn(["gov", "execute", "--id", id, ...as(NOBODY)]);
    assert.match(tooSoon.err, /is queued until/);

    await increaseTime(chain.rpcUrl, TEST_GOVERNANCE.timelockDelay + 1n);
    const x = await runIn(["gov", "execute", "--id", id, ...as(NOBODY)]);
    assert.equal(x.code, 0, x.err);
    assert.equal(await revealWindow(), 7200n);

    const s = await runIn(["gov", "status", "--id", id, ...conn]);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /: Executed/);
    assert.match(s.out, /description: Reveal window: 2 hours/);
    assert.match(s.out, /quorum: 40000000 OMNIT \(reached\)/);
  });

  it("an out-of-bound value passes the vote and reverts at execution with the setter's error", async () => {
    const description = "Reveal window: 1 second";
    const p = await propose("1", description);
    assert.equal(p.code, 0, p.err);
    const id = idOf(p.out);
    await mineBlocks(chain.rpcUrl, TEST_GOVERNANCE.votingDelay + 1n);
    assert.equal((await runIn(["gov", "vote", "--id", id, "--support", "for", ...as(VOTER)])).code, 0);
    await mineBlocks(chain.rpcUrl, TEST_GOVERNANCE.votingPeriod);
    // queue and execute by the proposal's content, as an alternative to --id
    const content = ["--target", "TaskManager", "--call", "setRevealWindow(uint256)", "--args", "1"];
    const q = await runIn(["gov", "queue", ...content, "--description", description, ...as(NOBODY)]);
    assert.equal(q.code, 0, q.err);
    await increaseTime(chain.rpcUrl, TEST_GOVERNANCE.timelockDelay + 1n);
    const x = await runIn(["gov", "execute", ...content, "--description", description, ...as(NOBODY)]);
    assert.equal(x.code, 1);
    assert.match(x.err, /execute would revert: TaskManagerParameterOutOfBounds\(revealWindow, 1\)/);
    assert.equal(await revealWindow(), 7200n);
    const s = await runIn(["gov", "status", "--id", id, "--json", ...conn]);
    assert.equal(JSON.parse(s.out).state, "Queued");
  });

  it("names what is wrong in a proposal's content", async () => {
    const typo = await runIn([
      "gov",
      "propose",
      "--target",
      "TaskManager",
      "--call",
      "setRevealWindows(uint256)",
      "--args",
      "7200",
      "--description",
      "typo",
      ...as(VOTER),
    ]);
    assert.equal(typo.code, 1);
    assert.match(typo.err, /TaskManager has no function setRevealWindows\(uint256\)/);
    const count = await runIn([
      "gov",
      "propose",
      "--target",
      "NodeStaking",
      "--call",
      "setMinStake(uint256)",
      "--description",
      "no args",
      ...as(VOTER),
    ]);
    assert.match(count.err, /setMinStake takes 1 argument\(s\), 0 given/);
    const noKey = await runIn(["gov", "delegate", ...conn]);
    assert.match(noKey.err, /set REQUESTER_PRIVATE_KEY/);
  });
});
