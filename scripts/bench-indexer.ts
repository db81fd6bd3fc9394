/**
 * `npm run bench:indexer [-- --tasks 1000]`: how fast the indexer (Ponder, PGlite) catches up with
 * a busy chain, and how fast its API answers then (docs/dashboard.md).
 *
 * A hardhat node; 4 nodes with both roles; N tasks (2 seats + 2 verifiers each) driven in
 * lockstep through their whole life: create, seat commits, drawVerifiers, verifier commits,
 * reveals, finalize, claims. Transactions are signed here and sent raw with automine off, then
 * mined in full blocks (the base fee held at 1 wei). Then the indexer starts from the deployment's
 * startBlock and the time until it has indexed the head is measured, then API latencies.
 * `--keep` leaves the filled chain running; `--rpc URL --deployment FILE` times the indexer again
 * on it (filling 1,000 tasks takes minutes, indexing them should not).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  decodeFunctionData,
  decodeFunctionResult,
  encodeFunctionData,
  keccak256,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { taskManagerAbi } from "../workers/src/chain/abis.ts";
import { parseDeployment, type Deployment } from "../workers/src/chain/deployment.ts";
import {
  commitmentOf,
  deriveSalt,
  generateResultKey,
  outputHashOf,
  sealOutput,
} from "../workers/src/protocol/index.ts";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  parseEther,
  rpc,
  startHardhatNode,
  warpTo,
} from "../test/support/devnet.ts";
import { startIndexer, type RunningIndexer } from "../test/support/indexer.ts";
import { buildDashboard, CHROMIUM, OFFLINE_ARGS, serveDashboard } from "../test/support/dashboard.ts";
import { CANONICAL, OWNER, REQUESTER, setupNetwork } from "../test/support/scenario.ts";

const { values: flags } = parseArgs({
  options: {
    tasks: { type: "string", default: "1000" },
    /** Leave the filled chain running (and its deployment file) to time the indexer again with --rpc. */
    keep: { type: "boolean", default: false },
    /** Time the indexer on a chain filled before (by --keep) instead of filling one. */
    rpc: { type: "string" },
    deployment: { type: "string" },
    /** Also time the dashboard's pages in headless Chromium (vite build, served as `npm run dashboard` does). */
    browser: { type: "boolean", default: false },
    /** PostgreSQL (a database of its own, created empty) instead of PGlite. */
    "database-url": { type: "string" },
    /** Keep the indexer's (Ponder's JSON) log in this file. */
    log: { type: "string" },
  },
});
const TASKS = Number(flags.tasks);
const NODES = [1, 2, 3, 4];
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/** Signs and sends raw transactions with local nonces; `flush` mines until all are in blocks. */
class Sender {
  private nonces = new Map<number, number>();
  constructor(
    private url: string,
    private chainId: number,
  ) {}
  private sent: { hash: Hex; what: string }[] = [];
  async send(who: number, to: Address, data: Hex, gas: bigint): Promise<void> {
    const label = decodeFunctionData({ abi: taskManagerAbi, data }).functionName;
    const account = privateKeyToAccount(devKey(who));
    if (!this.nonces.has(who))
      this.nonces.set(
        who,
        Number(await rpc(this.url, "eth_getTransactionCount", [account.address, "latest"])),
      );
    const nonce = this.nonces.get(who)!;
    this.nonces.set(who, nonce + 1);
    const raw = await account.signTransaction({
      chainId: this.chainId,
      nonce,
      to,
      data,
      gas,
      gasPrice: 10n ** 9n,
      type: "legacy",
    });
    // One at a time: bursts of parallel requests made hardhat node drop connections ("fetch failed").
    for (let tries = 1; ; tries++) {
      try {
        this.sent.push({ hash: (await rpc(this.url, "eth_sendRawTransaction", [raw])) as Hex, what: label });
        return;
      } catch (e) {
        if (tries >= 3 || !String(e).includes("fetch failed")) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  /** Mines blocks until every sender's transactions are in. */
  async flush(): Promise<void> {
    for (;;) {
      await rpc(this.url, "hardhat_setNextBlockBaseFeePerGas", ["0x1"]);
      await rpc(this.url, "evm_mine", []);
      let done = true;
      for (const [who, n] of this.nonces)
        if (Number(await rpc(this.url, "eth_getTransactionCount", [devAddress(who), "latest"])) < n)
          done = false;
      if (done) break;
    }
    const failed = new Map<string, number>();
    for (const { hash, what } of this.sent.splice(0)) {
      const r = (await rpc(this.url, "eth_getTransactionReceipt", [hash])) as { status: Hex } | null;
      if (r?.status !== "0x1") failed.set(what, (failed.get(what) ?? 0) + 1);
    }
    if (failed.size) log(`reverted or missing: ${JSON.stringify(Object.fromEntries(failed))}`);
  }
}

const tmData = (functionName: string, args: readonly unknown[]) =>
  encodeFunctionData({ abi: taskManagerAbi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);

interface Run {
  s: Sender;
  url: string;
  tm: Address;
  ids: bigint[];
  resultKey: Hex;
  domain: { chainId: number; verifyingContract: Address };
  salts: Map<string, Hex>;
  verifiersOf: Map<bigint, number[]>;
}

const call = async <T>(r: Run, fn: string, args: readonly unknown[]) =>
  (await rpc(r.url, "eth_call", [{ to: r.tm, data: tmData(fn, args) }, "latest"])) as T;

async function lastDeadline(r: Run, field: "seatDeadline" | "commitDeadline" | "revealDeadline") {
  const data = await call<Hex>(r, "getTask", [r.ids[r.ids.length - 1]]);
  return decodeFunctionResult({ abi: taskManagerAbi, functionName: "getTask", data })[field];
}

async function commit(r: Run, n: number, id: bigint): Promise<void> {
  const salt = await deriveSalt(devKey(n), r.domain, id);
  r.salts.set(`${n}-${id}`, salt);
  const node = devAddress(n);
  const c = commitmentOf(id, node, outputHashOf(CANONICAL), salt);
  await r.s.send(
    n,
    r.tm,
    tmData("commit", [id, c, sealOutput(r.resultKey, id, node, salt, CANONICAL)]),
    900_000n,
  );
}

async function createAll(r: Run, modelId: Hex): Promise<void> {
  const input = toHex(
    new TextEncoder().encode('{"inputs":{"x":{"type":"float32","dims":[1,2],"data":[1,2]}}}'),
  );
  const request = {
    ...{ modelId, input, inputURI: "", inputHash: keccak256(input), reward: parseEther("10"), redundancy: 2 },
    ...{ resultKey: r.resultKey, callback: zeroAddress, callbackGasLimit: 0, disputer: zeroAddress },
  };
  for (const _ of r.ids) await r.s.send(REQUESTER, r.tm, tmData("createTask", [request]), 900_000n);
  await r.s.flush();
  await mineEmpty(r.url, 2); // the seat seeds are known from block b + 2
  log(`${TASKS} tasks created`);
}

async function seatsAndVerifiers(r: Run): Promise<void> {
  for (const id of r.ids) {
    const ranks = await Promise.all(
      NODES.map(async (n) => ({ n, rank: BigInt(await call<Hex>(r, "rankOf", [id, devAddress(n)])) })),
    );
    ranks.sort((a, b) => (a.rank === b.rank ? 0 : a.rank < b.rank ? -1 : 1));
    for (const { n } of ranks.slice(0, 2)) await commit(r, n, id);
    r.verifiersOf.set(
      id,
      ranks.slice(2).map((x) => x.n),
    );
  }
  await r.s.flush();
  log(`${2 * TASKS} seat commits`);
  await warpTo(r.url, await lastDeadline(r, "seatDeadline"));
  for (const id of r.ids) await r.s.send(OWNER, r.tm, tmData("drawVerifiers", [id]), 500_000n);
  await r.s.flush();
  await mineEmpty(r.url, 2);
  for (const id of r.ids) for (const n of r.verifiersOf.get(id)!) await commit(r, n, id);
  await r.s.flush();
  log(`${TASKS} verifier draws, ${2 * TASKS} verifier commits`);
}

async function revealFinalizeClaim(r: Run): Promise<void> {
  await warpTo(r.url, await lastDeadline(r, "commitDeadline"));
  for (const [k, salt] of r.salts) {
    const [n, id] = k.split("-").map((x) => BigInt(x));
    const args = [id, devAddress(Number(n)), outputHashOf(CANONICAL), salt];
    await r.s.send(Number(n), r.tm, tmData("reveal", args), 600_000n);
  }
  await r.s.flush();
  log(`${r.salts.size} reveals`);
  await warpTo(r.url, await lastDeadline(r, "revealDeadline"));
  for (const id of r.ids) await r.s.send(OWNER, r.tm, tmData("finalize", [id]), 2_000_000n);
  await r.s.flush();
  for (const k of r.salts.keys()) {
    const [n, id] = k.split("-").map((x) => BigInt(x));
    await r.s.send(Number(n), r.tm, tmData("claim", [id]), 600_000n);
  }
  await r.s.flush();
  log(`${TASKS} finalized, ${r.salts.size} claims`);
}

async function mineEmpty(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await rpc(url, "evm_mine", []);
}

async function drive(url: string, d: Deployment, modelId: Hex): Promise<void> {
  const tm = d.contracts.TaskManager;
  const r: Run = {
    s: new Sender(url, d.chainId),
    url,
    tm,
    ids: [],
    resultKey: generateResultKey().publicKey,
    domain: { chainId: d.chainId, verifyingContract: tm },
    salts: new Map(),
    verifiersOf: new Map(),
  };
  const first = BigInt(await call<Hex>(r, "taskCount", [])) + 1n;
  r.ids = Array.from({ length: TASKS }, (_, i) => first + BigInt(i));
  await createAll(r, modelId);
  await seatsAndVerifiers(r);
  await revealFinalizeClaim(r);
}

async function main(): Promise<void> {
  if (flags.rpc || flags.deployment) {
    if (!flags.rpc || !flags.deployment) throw new Error("--rpc and --deployment go together");
    const d = parseDeployment(JSON.parse(readFileSync(flags.deployment, "utf8")), flags.deployment);
    return report(flags.rpc, d, flags.deployment);
  }
  // No interval mining: with a block every second besides the script's own, a slow machine let
  // more than 256 blocks pass between a task's creation and its seat commits, whose seeds were
  // then lost (TaskManagerSeedNotReady: the reverted commits of earlier runs).
  process.env.OMNITENSOR_NODE_BLOCK_MS = "0";
  const chain = await startHardhatNode({ logFile: join(tmpdir(), "bench-indexer-chain.log") });
  const dir = mkdtempSync(join(tmpdir(), "omnit-bench-ix-"));
  try {
    await rpc(chain.rpcUrl, "evm_setAutomine", [true]);
    const d = await deployOmniTensor(chain.rpcUrl);
    const file = join(dir, "deployment.json");
    writeFileSync(file, JSON.stringify(d));
    const net = await setupNetwork(chain.rpcUrl, d, NODES, parseEther("2000000"));
    await rpc(chain.rpcUrl, "evm_setAutomine", [false]);
    const t0 = Date.now();
    await drive(chain.rpcUrl, d, net.modelId);
    // Ponder indexes the last 30 blocks of an unknown chain (31337) as live blocks, one at a
    // time; 32 empty blocks make the whole history a backfill, as a node catching up sees it.
    await mineEmpty(chain.rpcUrl, 32);
    log(`chain filled in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    await report(chain.rpcUrl, d, file);
    if (flags.keep) {
      log(`chain kept: --rpc ${chain.rpcUrl} --deployment ${file} (Ctrl-C ends it)`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    }
  } finally {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Starts the indexer on the filled chain, times the catch-up, then the API's latencies. */
async function report(url: string, d: Deployment, file: string): Promise<void> {
  const head = Number(await rpc(url, "eth_blockNumber"));
  const logs = (await rpc(url, "eth_getLogs", [
    { fromBlock: `0x${d.startBlock.toString(16)}`, toBlock: "latest", address: Object.values(d.contracts) },
  ])) as unknown[];
  const t0 = Date.now();
  const ix = await startIndexer({
    deploymentFile: file,
    rpcUrl: url,
    timeoutMs: 600_000,
    logFile: flags.log,
  });
  const ready = Date.now() - t0;
  await ix.waitForBlock(head, 600_000);
  const caughtUp = Date.now() - t0;
  try {
    const { network } = await ix.get<{ network: Record<string, unknown> }>("/api/overview");
    log(
      `indexed ${network.tasks} tasks (${network.finalized} finalized), ${network.events} events of ${logs.length} logs, ${head} blocks`,
    );
    log(
      `indexer: ready (backfill done) after ${(ready / 1000).toFixed(1)} s, at the head after ${(caughtUp / 1000).toFixed(1)} s`,
    );
    const paths = [
      "/api/overview",
      "/api/tasks?limit=50",
      `/api/tasks/${Math.ceil(TASKS / 2)}`,
      "/api/nodes",
      "/api/series",
      "/api/liquidations",
    ];
    for (const p of paths) {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await ix.get(p);
        times.push(performance.now() - t);
      }
      log(`GET ${p}: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`);
    }
    if (flags.browser) await browserTimes(ix);
  } finally {
    await ix.stop();
  }
}

/** Each page loaded 5 times in a fresh tab: time until its data shows; then a minute's idle traffic. */
async function browserTimes(ix: RunningIndexer): Promise<void> {
  const { chromium } = await import("playwright-core");
  const dir = mkdtempSync(join(tmpdir(), "omnit-bench-web-"));
  const web = await serveDashboard({ dir: await buildDashboard(dir), indexerUrl: ix.url });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: OFFLINE_ARGS });
  try {
    const mid = Math.ceil(TASKS / 2);
    const pages: [string, string][] = [
      ["#/", 'a[href^="#/task/"]'],
      [`#/task/${mid}`, ".badge"],
      ["#/nodes", 'a[href^="#/account/"]'],
      ["#/charts", ".charts"],
      ["#/liquidations", "table, .empty"],
      ["#/governance", "table, .empty"],
    ];
    for (const [route, selector] of pages) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const page = await browser.newPage();
        const t = performance.now();
        await page.goto(`${web.url}/${route}`);
        await page.locator(selector).first().waitFor({ timeout: 60_000 });
        times.push(performance.now() - t);
        await page.close();
      }
      log(
        `page ${route}: data shown after median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
      );
    }
    const page = await browser.newPage();
    await page.goto(`${web.url}/#/`);
    await page.locator(pages[0][1]).first().waitFor({ timeout: 60_000 });
    let requests = 0;
    let bytes = 0;
    page.on("response", (r) => {
      requests++;
      void r.body().then(
        (b) => (bytes += b.length),
        () => undefined,
      );
    });
    await new Promise((r) => setTimeout(r, 60_000));
    log(`task list open, chain idle for 60 s: ${requests} requests, ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    await browser.close();
    await web.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
