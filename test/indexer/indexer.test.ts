/**
 * The indexer (Ponder, indexer/) against a chain with known events (issue 14): a hardhat node,
 * six nodes, three tasks (one Finalized with a silent verifier liquidated, one Finalized, one
 * still seating), then the indexer runs once on PGlite and once on the machine's PostgreSQL
 * (127.0.0.1:5432, trust auth; the test creates and drops its own database). What the API says
 * must equal the contracts' views: statuses, tallies, stakes, locks, reputation counters,
 * liquidations, the pool, and the number of logs.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Address } from "viem";
import { nodeStakingAbi, omniGovernorAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";
import {
  actor,
  deployOmniTensor,
  devAddress,
  devKey,
  rpc,
  startHardhatNode,
  type LocalChain,
} from "../support/devnet.ts";
import { startIndexer, type RunningIndexer } from "../support/indexer.ts";
import { finishTask, setupNetwork, startTask, OWNER } from "../support/scenario.ts";

const NODES = [1, 2, 3, 4, 5, 6];
const PG = "postgres://postgres@127.0.0.1:5432";
const STATUS = ["None", "Open", "Open", "Open", "Open", "Finalized", "Unresolved", "Cancelled"];

type Row = Record<string, string | number | boolean | null>;

interface World {
  chain: LocalChain;
  d: Deployment;
  file: string;
  dir: string;
  head: bigint;
  logs: number;
}

async function buildWorld(): Promise<World> {
  const chain = await startHardhatNode();
  const d = await deployOmniTensor(chain.rpcUrl);
  const dir = mkdtempSync(join(tmpdir(), "omnit-ix-test-"));
  const file = join(dir, "deployment.json");
  writeFileSync(file, JSON.stringify(d));
  const net = await setupNetwork(chain.rpcUrl, d, NODES);
  await finishTask(net, await startTask(net), { silent: true });
  await finishTask(net, await startTask(net));
  await startTask(net);
  const logs = (await rpc(chain.rpcUrl, "eth_getLogs", [
    { fromBlock: `0x${d.startBlock.toString(16)}`, toBlock: "latest", address: Object.values(d.contracts) },
  ])) as unknown[];
  const head = BigInt((await rpc(chain.rpcUrl, "eth_blockNumber")) as string);
  return { chain, d, file, dir, head, logs: logs.length };
}

/** Every check of the indexer's API against the contracts' views. */
function checks(world: () => World, indexer: () => RunningIndexer) {
  const read = <T>(
    address: Address,
    abi: typeof taskManagerAbi | typeof nodeStakingAbi | typeof omniGovernorAbi,
    fn: string,
    args: unknown[] = [],
  ) => actor(world().chain.rpcUrl, world().d, devKey(OWNER)).read<T>(address, abi, fn, args);
  const tm = <T>(fn: string, args: unknown[] = []) =>
    read<T>(world().d.contracts.TaskManager, taskManagerAbi, fn, args);
  const staking = <T>(fn: string, args: unknown[] = []) =>
    read<T>(world().d.contracts.NodeStaking, nodeStakingAbi, fn, args);

  it("indexes every log of the four contracts", async () => {
    const { network } = await indexer().get<{ network: Row }>("/api/overview");
    assert.equal(network.events, world().logs);
  });

  it("tasks: status, seats, reveals, n, m and the deadlines equal getTask", async () => {
    const count = await tm<bigint>("taskCount");
    const { total, tasks } = await indexer().get<{ total: number; tasks: Row[] }>("/api/tasks");
    assert.equal(total, Number(count));
    for (const t of tasks) {
      const v = await tm<{
        status: number;
        n: number;
        m: number;
        revealedCount: number;
        seatHolders: Address[];
        verifyDeadline: bigint;
        disputeDeadline: bigint;
        commitDeadline: bigint;
        verifierFeeBps: number;
        liquidatorBountyBps: number;
      }>("getTask", [BigInt(t.id as string)]);
      // derived from the parameters, not read: the deadlines and the copied rates
      for (const k of ["verifyDeadline", "disputeDeadline", "commitDeadline"] as const)
        assert.equal(t[k], String(v[k]), `task ${t.id} ${k}`);
      assert.equal(t.verifierFeeBps, v.verifierFeeBps, `task ${t.id} verifierFeeBps`);
      assert.equal(t.bountyBps, v.liquidatorBountyBps, `task ${t.id} bountyBps`);
      assert.equal(t.status, STATUS[v.status], `task ${t.id} status`);
      assert.equal(t.reveals, v.revealedCount, `task ${t.id} reveals`);
      assert.equal(t.seats, v.seatHolders.length, `task ${t.id} seats`);
      if (t.status === "Finalized") assert.deepEqual([t.n, t.m], [v.n, v.m], `task ${t.id} n, m`);
    }
  });

  it("nodes: stake, locked bonds and every reputation counter equal the views", async () => {
    const { nodes } = await indexer().get<{ nodes: Row[] }>("/api/nodes");
    assert.equal(nodes.length, NODES.length);
    let total = 0n;
    for (const i of NODES) {
      const a = devAddress(i);
      const n = nodes.find((x) => x.address === a.toLowerCase())!;
      const stake = await staking<bigint>("stakeOf", [a]);
      total += stake;
      assert.equal(n.stake, String(stake), `node ${i} stake`);
      assert.equal(n.locked, String(await staking<bigint>("lockedOf", [a])), `node ${i} locked`);
      const r = await tm<Record<string, bigint | number>>("reputationOf", [a]);
      for (const k of ["commitments", "revealed", "agreed", "wrong", "silent", "earned"])
        assert.equal(String(n[k]), String(r[k]), `node ${i} ${k}`);
    }
    const { network } = await indexer().get<{ network: Row }>("/api/overview");
    assert.equal(network.totalStaked, String(total));
    assert.equal(network.verificationPool, String(await tm<bigint>("verificationPool")));
  });

  it("the liquidation: the silent verifier, the amount it lost, its reason", async () => {
    const { liquidations } = await indexer().get<{ liquidations: Row[] }>("/api/liquidations");
    assert.equal(liquidations.length, 1);
    const l = liquidations[0];
    assert.equal(l.reason, "silent");
    assert.equal(
      await staking<bigint>("stakeOf", [l.node as Address]),
      0n,
      "the liquidated node lost its stake",
    );
    const { node } = await indexer().get<{ node: Row }>(`/api/nodes/${l.node}`);
    assert.equal(node.slashed, l.amount);
  });

  it("the hourly series and the parameters add up", async () => {
    const { hours } = await indexer().get<{ hours: Row[] }>("/api/series");
    const sum = (k: string) => hours.reduce((s, h) => s + BigInt(h[k] as string | number), 0n);
    assert.equal(sum("tasksCreated"), await tm<bigint>("taskCount"));
    assert.equal(sum("tasksFinalized"), 2n);
    const { network } = await indexer().get<{ network: Row }>("/api/overview");
    assert.equal(String(sum("rewards")), network.rewardsClaimed);
    assert.equal(String(sum("slashed")), network.slashed);
    const { current } = await indexer().get<{ current: Row[] }>("/api/parameters");
    assert.equal(current.find((p) => p.name === "expectedVerifiers")?.value, "64");
    const governor = world().d.contracts.OmniGovernor;
    if (governor) {
      const period = await read<bigint>(governor, omniGovernorAbi, "votingPeriod");
      const row = current.find((p) => p.contract === "OmniGovernor" && p.name === "votingPeriod");
      assert.equal(row?.value, String(period), "the governor's votingPeriod (set in its constructor)");
    }
  });
}

const admin = async (q: string) => {
  const c = new pg.Client({ connectionString: `${PG}/postgres` });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
};

describe("indexer (Ponder) against a chain with known events", { timeout: 600_000 }, () => {
  let world: World;
  let lite: RunningIndexer;
  let postgres: RunningIndexer;
  const db = `omnitensor_indexer_test_${process.pid}`;
  before(async () => {
    world = await buildWorld();
    await admin(`CREATE DATABASE ${db}`).catch((e: Error) => {
      throw new Error(`PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) is needed: ${e.message}`);
    });
    // Both indexers at once: PGlite in a fresh folder, PostgreSQL in the test's own database.
    const { file, chain } = world;
    [lite, postgres] = await Promise.all([
      startIndexer({ deploymentFile: file, rpcUrl: chain.rpcUrl }),
      startIndexer({ deploymentFile: file, rpcUrl: chain.rpcUrl, databaseUrl: `${PG}/${db}` }),
    ]);
    await Promise.all([lite.waitForBlock(world.head), postgres.waitForBlock(world.head)]);
  });
  after(async () => {
    await Promise.all([lite?.stop(), postgres?.stop()]);
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    await world?.chain.stop();
    if (world) rmSync(world.dir, { recursive: true, force: true });
  });

  describe("on PGlite", () =>
    checks(
      () => world,
      () => lite,
    ));
  describe("on PostgreSQL (127.0.0.1:5432)", () =>
    checks(
      () => world,
      () => postgres,
    ));
});
