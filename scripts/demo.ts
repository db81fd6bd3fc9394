/**
 * `npm run demo`: the whole story on one machine, in about a minute and a half.
 *
 *   a local chain (`hardhat node`) → the four contracts → a real model (Silero VAD, from npm)
 *   → 4 compute bots (one cheats) + 2 verifier bots on BullMQ/Redis → a task with a sealed
 *   commit per node → the requester opens the sealed outputs, sees the cheater and disputes
 *   → the 24-hour windows pass by time travel → reveals → finalize → the cheater is
 *   liquidated → claims and withdrawals → a table of balances before and after.
 *
 * Flags: --keep (leave the chain and the bots running; Ctrl-C stops them), --port N (chain port,
 * default 8545 or a free one). Logs of each bot go to .omnitensor/demo/.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { formatUnits, parseAbiItem, parseEther, type Address } from "viem";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  freePort,
  fundAndStake,
  increaseTime,
  chainTime,
  rpc,
  startHardhatNode,
  type LocalChain,
} from "../test/support/devnet.ts";
import { nodeStakingAbi, omniTokenAbi } from "../workers/src/chain/abis.ts";
import { parseWorkerConfig } from "../workers/src/node/config.ts";
import { startWorker, type RunningWorker } from "../workers/src/node/start.ts";
import { knownModel } from "../test/support/models.ts";
import { OmniTensorClient, outputsDisagree, type CommitmentReport } from "../workers/src/sdk/index.ts";

const ROOT = resolve(import.meta.dirname, "..");
const LOG_DIR = join(ROOT, ".omnitensor", "demo");
const COMPUTE = [1, 2, 3, 4];
const CHEATER = 4;
const VERIFIERS = [5, 6];
const MODEL_OWNER = 9;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const REWARD = "10";
const REDIS_DB = 12;

const { values: flags } = parseArgs({
  options: { keep: { type: "boolean", default: false }, port: { type: "string" }, help: { type: "boolean" } },
});
if (flags.help) {
  console.log(
    "Usage: npm run demo [-- --keep] [-- --port 8545]\n\n" +
      (await import("node:fs")).readFileSync(import.meta.filename, "utf8").split("*/")[0],
  );
  process.exit(0);
}

// ---------- output helpers ----------
const t0 = Date.now();
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => paint("1", s);
const dim = (s: string) => paint("2", s);
const green = (s: string) => paint("32", s);
const red = (s: string) => paint("31", s);
const yellow = (s: string) => paint("33", s);
const clock = () => dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`);
const say = (s: string) => console.log(`${clock()} ${s}`);
const step = (n: number, s: string) => console.log(`\n${clock()} ${bold(`${n}. ${s}`)}`);
const omnit = (wei: bigint) =>
  Number(formatUnits(wei, 18)).toLocaleString("en-US", { maximumFractionDigits: 4 });
const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;

const names = new Map<string, string>();
const nameOf = (a: Address) => names.get(a.toLowerCase()) ?? short(a);
for (const i of COMPUTE)
  names.set(devAddress(i).toLowerCase(), i === CHEATER ? `compute-${i} (cheater)` : `compute-${i}`);
for (const i of VERIFIERS) names.set(devAddress(i).toLowerCase(), `verifier-${i}`);
names.set(devAddress(REQUESTER).toLowerCase(), "requester");
names.set(devAddress(MODEL_OWNER).toLowerCase(), "model owner");

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what} (bot logs: ${LOG_DIR})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------- Redis ----------
function redisAnswers(): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host: "127.0.0.1", port: 6379 });
    s.setTimeout(1000);
    s.once("connect", () => {
      s.write("PING\r\n");
    });
    s.once("data", (d) => {
      s.destroy();
      res(d.toString().startsWith("+PONG"));
    });
    s.once("error", () => res(false));
    s.once("timeout", () => {
      s.destroy();
      res(false);
    });
  });
}

async function ensureRedis(): Promise<void> {
  if (await redisAnswers()) return say("Redis answers on 127.0.0.1:6379");
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  if (which.status !== 0) {
    throw new Error(
      "no Redis on 127.0.0.1:6379 and redis-server is not installed.\n" +
        "  Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) and run npm run demo again.",
    );
  }
  say("no Redis on 127.0.0.1:6379: starting redis-server (in memory, no persistence)");
  spawnSync(
    "redis-server",
    ["--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  await waitFor("redis-server to answer", async () => redisAnswers(), 10_000);
}

async function wipeRedisDb(): Promise<void> {
  const { Redis } = await import("ioredis");
  const r = new Redis({ host: "127.0.0.1", port: 6379, db: REDIS_DB, lazyConnect: true });
  await r.connect();
  await r.flushdb();
  await r.quit();
}

// ---------- build ----------
function build(): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn("npx", ["hardhat", "build", "--no-tests"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => (code === 0 ? res() : rej(new Error(`hardhat build failed:\n${out}`))));
  });
}

// ---------- main ----------
let chain: LocalChain | undefined;
const workers: RunningWorker[] = [];

async function shutdown(): Promise<void> {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await chain?.stop();
}

async function main(): Promise<void> {
  console.log(
    bold("OmniTensor demo") +
      dim("  (a local chain, real contracts, a real ONNX model, 6 bots, one cheater)"),
  );

  step(1, "Infrastructure");
  await ensureRedis();
  await wipeRedisDb();
  say("compiling the contracts (solcjs; cached after the first run)…");
  await build();
  const wanted = flags.port ? Number(flags.port) : 8545;
  const port = (await portFree(wanted)) ? wanted : await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  chain = await startHardhatNode({ port, logFile: join(LOG_DIR, "hardhat-node.log") });
  say(`local chain ${chain.rpcUrl} (chain id ${chain.chainId})`);

  step(2, "Deploy OmniToken, NodeStaking, ModelRegistry, TaskManager (+ linked libraries)");
  const d = await deployOmniTensor(chain.rpcUrl);
  for (const [name, addr] of Object.entries(d.contracts)) say(`${name.padEnd(14)} ${addr}`);
  if (chain.port === 8545) {
    const deploymentFile = join(ROOT, "deployments", `${d.chainId}.json`);
    mkdirSync(join(ROOT, "deployments"), { recursive: true });
    writeFileSync(deploymentFile, JSON.stringify(d, null, 2) + "\n");
    say(dim(`addresses written to deployments/${d.chainId}.json (the CLI and SDK read it)`));
  }
  const botDeploymentFile = join(LOG_DIR, "deployment.json");
  writeFileSync(botDeploymentFile, JSON.stringify(d, null, 2));

  step(3, "Stake nodes (20,000 OMNIT each) and register a real model");
  await fundAndStake(chain.rpcUrl, d, [
    ...COMPUTE.map((index) => ({ index, roles: 1, stake: STAKE })),
    ...VERIFIERS.map((index) => ({ index, roles: 2, stake: STAKE })),
  ]);
  const treasury = await OmniTensorClient.connect({
    rpcUrl: chain.rpcUrl,
    privateKey: devKey(0),
    deployment: d,
    pollingIntervalMs: 50,
  });
  await transfer(treasury, devAddress(REQUESTER), parseEther("100"));
  say(`4 compute nodes (role 1) and 2 validator nodes (role 2) staked; the requester holds 100 OMNIT`);
  const model = knownModel("silero-vad");
  const owner = await OmniTensorClient.connect({
    rpcUrl: chain.rpcUrl,
    privateKey: devKey(MODEL_OWNER),
    deployment: d,
    pollingIntervalMs: 50,
  });
  const { modelId } = await owner.registerModel({
    onnxSha256: model.sha256,
    uri: `file://${model.path}`,
    spec: model.specJson,
    royaltyBps: 500,
  });
  const origin =
    typeof model.origin === "string"
      ? model.origin
      : `npm ${model.origin.package} ${model.origin.version}, ${model.origin.licence}`;
  say(`model Silero VAD (${origin})`);
  say(dim(`  sha256 ${model.sha256}  modelId ${modelId}  royalty 5%`));

  const before = await snapshot(treasury, d);

  step(4, "Start 4 compute bots and 2 verifier bots (BullMQ on Redis, onnxruntime-node)");
  await Promise.all(
    [...COMPUTE, ...VERIFIERS].map(async (i) => {
      const config = parseWorkerConfig(
        {
          rpcUrl: chain!.rpcUrl,
          privateKey: devKey(i),
          redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
          redisPrefix: `demo-bot${i}`,
          roles: VERIFIERS.includes(i) ? ["verifier"] : ["compute"],
          models: [{ modelId, path: model.path }],
          confirmations: 0,
          pollIntervalMs: 150,
          metrics: { port: -1 },
          deploymentFile: botDeploymentFile,
          logLevel: "info",
          // test-only switch (refused without OMNITENSOR_ALLOW_CHEAT=1): compute-4 commits a wrong result
          ...(i === CHEATER ? { cheat: { wrongResult: true } } : {}),
        },
        { OMNITENSOR_ALLOW_CHEAT: i === CHEATER ? "1" : "0" },
      );
      const logDestination = pino.destination({
        dest: join(LOG_DIR, `bot${i}.log`),
        sync: false,
        mkdir: true,
      });
      workers.push(await startWorker(config, { logDestination, connectTimeoutMs: 30_000 }));
    }),
  );
  await Promise.all(workers.map((w) => w.caughtUp));
  say(
    `bots up: ${COMPUTE.map((i) => nameOf(devAddress(i))).join(", ")}, ${VERIFIERS.map((i) => nameOf(devAddress(i))).join(", ")}`,
  );
  say(dim(`  logs: ${LOG_DIR}/bot<N>.log`));
  // A block every second, so seeds (fixed by the block after a call) appear without traffic.
  await rpc(chain.rpcUrl, "evm_setIntervalMining", [1000]);

  step(5, `Create a task: ${REWARD} OMNIT, 4 seats, input sealed to the requester's key`);
  const requester = await OmniTensorClient.connect({
    rpcUrl: chain.rpcUrl,
    privateKey: devKey(REQUESTER),
    deployment: d,
    pollingIntervalMs: 100,
  });
  const created = await requester.createTask({
    modelId,
    input: model.sampleInput(1),
    reward: REWARD,
    redundancy: 4,
  });
  const taskId = created.taskId;
  say(`task #${taskId} created with one transaction (EIP-2612 permit); escrow ${REWARD} OMNIT`);
  const task = () => requester.getTask(taskId);

  const seen = new Map<string, CommitmentReport>();
  const stopWatch = requester.watchCommitments({
    taskId,
    resultPrivateKey: created.resultKey.privateKey,
    onCommitment: (r) => {
      if (seen.has(r.node.toLowerCase())) return;
      seen.set(r.node.toLowerCase(), r);
      const verdict = r.ok
        ? green("sealed output opened, commitment checks")
        : red(`bad: ${r.problem ?? "fails its check"}`);
      say(`  ${nameOf(r.node).padEnd(22)} committed → ${verdict}, outputHash ${short(r.outputHash ?? "0x")}`);
    },
    fromBlock: BigInt(d.startBlock),
  });

  await waitFor("4 seats", async () => (await task()).seatHolders.length === 4);
  let info = await task();
  say(`all 4 seats taken by rank; seat window closes at +5 h`);

  step(6, "Time travel past the seat window: verifiers are drawn by lot and re-run the task");
  await warpTo(chain.rpcUrl, info.seatDeadline);
  await waitFor("2 verifier commits", async () => (await task()).committedVerifiers === 2);
  await waitFor("6 opened outputs", async () => seen.size === 6 || undefined);
  const reports = [...seen.values()];
  const hashes = new Map<string, string[]>();
  for (const r of reports)
    hashes.set(r.outputHash ?? "?", [...(hashes.get(r.outputHash ?? "?") ?? []), nameOf(r.node)]);
  for (const [h, who] of hashes) say(`  output ${short(h)}: ${who.join(", ")}`);

  step(7, "The requester's outputs disagree: it disputes (bond = reward) and a jury is called");
  if (!outputsDisagree(reports)) throw new Error("expected the cheater's output to disagree");
  await requester.dispute(taskId);
  info = await task();
  say(
    `${yellow("disputed")}: bond ${omnit(info.disputeBond)} OMNIT escrowed; the §5 rule will judge: n > min(10·m, 66% of the nodes called)`,
  );

  step(8, "Time travel to the reveal window (20 h – 24 h): every node reveals");
  await warpTo(chain.rpcUrl, info.commitDeadline);
  await waitFor("6 reveals", async () => (await task()).revealedCount === 6);
  info = await task();
  say(`6 reveals: leader ${short(info.leader)} with n = ${info.n}, others m = ${info.m}`);

  step(9, "Time travel past 24 h: finalize, liquidate the cheater, claim, deliver, withdraw");
  await warpTo(chain.rpcUrl, info.revealDeadline);
  await waitFor("finalized", async () => (await task()).status === "Finalized");
  info = await task();
  say(
    `${green("Finalized")}: output ${short(info.acceptedOutputHash)} accepted (n = ${info.n} > min(10·${info.m}, 66% of the vote))`,
  );
  const liq = await waitFor("the liquidation", async () => {
    const logs = await requester.ctx.publicClient.getLogs({
      address: d.contracts.TaskManager,
      event: parseAbiItem(
        "event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator)",
      ),
      args: { taskId },
      fromBlock: BigInt(d.startBlock),
    });
    return logs[0];
  });
  say(
    `${red("Liquidated")} ${nameOf(liq.args.node!)}: ${omnit(liq.args.amount!)} OMNIT slashed (by ${nameOf(liq.args.liquidator!)}), paid to the nodes that were right`,
  );
  await waitFor("delivery", async () => (await task()).delivered);
  say(`result delivered on chain (ResultDelivered; a dApp callback would receive it)`);
  const honest = [1, 2, 3, ...VERIFIERS].map(devAddress);
  // Each honest node claims its share, and again after the liquidation (its part of the slashed
  // stake), then withdraws: wait for a Claimed event after the liquidation and no credit left.
  await waitFor(
    "claims and withdrawals",
    async () => {
      const claims = await requester.ctx.publicClient.getLogs({
        address: d.contracts.TaskManager,
        event: parseAbiItem("event Claimed(uint256 indexed taskId, address indexed node, uint256 amount)"),
        args: { taskId },
        fromBlock: liq.blockNumber,
      });
      for (const a of honest) {
        const after = claims.some(
          (c) =>
            c.args.node?.toLowerCase() === a.toLowerCase() &&
            (c.blockNumber > liq.blockNumber || c.logIndex > liq.logIndex),
        );
        if (!after || (await requester.creditOf(a)) !== 0n) return false;
      }
      return true;
    },
    60_000,
  );
  say("every honest node claimed its share (and its part of the slashed stake) and withdrew it");
  stopWatch();

  step(10, "Summary: OMNIT before → after");
  const after = await snapshot(requester, d);
  const rows: string[][] = [
    ["account", "wallet+credit before", "wallet+credit after", "stake before", "stake after", "change"],
  ];
  for (const [addr, b] of before) {
    const a = after.get(addr)!;
    const delta = a.wallet + a.stake - b.wallet - b.stake;
    const sign = delta > 0n ? green(`+${omnit(delta)}`) : delta < 0n ? red(`-${omnit(-delta)}`) : "0";
    rows.push([nameOf(addr), omnit(b.wallet), omnit(a.wallet), omnit(b.stake), omnit(a.stake), sign]);
  }
  printTable(rows);
  const credit = await requester.creditOf(devAddress(REQUESTER));
  if (credit > 0n)
    say(
      dim(
        `of the requester's ${omnit(after.get(devAddress(REQUESTER))!.wallet)} OMNIT, ${omnit(credit)} is credit to withdraw (its dispute bond back, unpaid seats)`,
      ),
    );
  console.log(
    `\n${green("✔")} ${bold("done")} in ${((Date.now() - t0) / 1000).toFixed(0)} s: the cheater lost its stake; honest nodes were paid.`,
  );
}

// ---------- small chain helpers ----------
async function warpTo(url: string, ts: bigint): Promise<void> {
  const now = await chainTime(url);
  if (ts + 1n > now) {
    const secs = ts + 1n - now;
    await increaseTime(url, secs);
    say(dim(`⏩ chain clock +${(Number(secs) / 3600).toFixed(2)} h`));
  }
}
function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      res(false);
    });
    s.once("error", () => res(true));
  });
}
async function balanceOf(
  c: OmniTensorClient,
  d: { contracts: { OmniToken: Address } },
  a: Address,
): Promise<bigint> {
  return c.ctx.publicClient.readContract({
    address: d.contracts.OmniToken,
    abi: omniTokenAbi,
    functionName: "balanceOf",
    args: [a],
  });
}
async function transfer(c: OmniTensorClient, to: Address, amount: bigint): Promise<void> {
  const hash = await c.ctx.walletClient!.writeContract({
    address: c.deployment.contracts.OmniToken,
    abi: omniTokenAbi,
    functionName: "transfer",
    args: [to, amount],
    chain: c.ctx.walletClient!.chain,
    account: c.ctx.walletClient!.account,
  });
  await c.ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
}
async function snapshot(
  c: OmniTensorClient,
  d: { contracts: { OmniToken: Address; NodeStaking: Address } },
): Promise<Map<Address, { wallet: bigint; stake: bigint }>> {
  const out = new Map<Address, { wallet: bigint; stake: bigint }>();
  for (const i of [...COMPUTE, ...VERIFIERS, REQUESTER, MODEL_OWNER]) {
    const a = devAddress(i);
    const stake = (await c.ctx.publicClient.readContract({
      address: d.contracts.NodeStaking,
      abi: nodeStakingAbi,
      functionName: "stakeOf",
      args: [a],
    })) as bigint;
    out.set(a, { wallet: (await balanceOf(c, d, a)) + (await c.creditOf(a)), stake });
  }
  return out;
}
function printTable(rows: string[][]): void {
  // eslint-disable-next-line no-control-regex
  const len = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => len(r[c]))));
  const line = (r: string[]) =>
    "  " +
    r
      .map((cell, c) =>
        c === 0 ? cell + " ".repeat(widths[c] - len(cell)) : " ".repeat(widths[c] - len(cell)) + cell,
      )
      .join("  ");
  console.log(bold(line(rows[0])));
  for (const r of rows.slice(1)) console.log(line(r));
}

const interrupted = () => {
  console.log("\nstopping…");
  void shutdown().then(() => process.exit(130));
};
process.once("SIGINT", interrupted);
process.once("SIGTERM", interrupted);

main()
  .then(async () => {
    if (flags.keep) {
      say(
        `--keep: the chain (${chain!.rpcUrl}) and the bots keep running. Try: npx omnitensor task status 1. Ctrl-C stops.`,
      );
      return;
    }
    await shutdown();
    process.exit(0);
  })
  .catch(async (err: unknown) => {
    console.error(`\n${red("demo failed:")} ${err instanceof Error ? err.message : String(err)}`);
    await shutdown();
    process.exit(1);
  });
