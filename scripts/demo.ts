/**
 * `npm run demo`: the whole story on one machine, in about a minute and a half.
 *
 *   a local chain (`hardhat node`) → the four contracts → a real model (Silero VAD, from npm)
 *   → 4 compute nodes (one cheats) + 2 verifier nodes on BullMQ/Redis → a task with a sealed
 *   commit per node → the requester opens the sealed outputs, sees the cheater and disputes
 *   → the 24-hour windows pass by time travel → reveals → finalize → the cheater is
 *   liquidated → claims and withdrawals → a table of balances before and after.
 *   Alongside it, a generation task on the trained models/tiny-lm: a prompt in, 3 seats and the 2
 *   verifiers, the cheater samples with another seed (real text, another hash), the dispute
 *   catches it, and the summary prints the prompt and the accepted text.
 *
 * The chain, the deployment (the Ignition module), staking and time travel come from the devnet
 * harness (test/support/devnet.ts). Redis is shared with whatever else uses it: the demo's nodes
 * keep their keys under a prefix of this run (`omnitensor-demo-<pid>-`), and the demo deletes
 * only those keys when it ends; it never flushes a database.
 *
 * Flags: --keep (leave the chain and the nodes running; Ctrl-C stops them), --port N (chain port,
 * default 8545 or a free one), --redis-db N (default 0). Logs of each node go to .omnitensor/demo/.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { formatUnits, parseAbiItem, parseEther, type Address, type Hex } from "viem";
import { nodeStakingAbi, omniTokenAbi } from "../workers/src/chain/abis.ts";
import type { Deployment } from "../workers/src/chain/deployment.ts";
import { parseNodeConfig } from "../workers/src/node/config.ts";
import { startNode, type RunningNode } from "../workers/src/node/start.ts";
import {
  OmniTensorClient,
  outputsDisagree,
  type CommitmentReport,
  type TaskInfo,
} from "../workers/src/sdk/index.ts";
import {
  decodeGeneration,
  loadTokenizer,
  promptInput,
  sha256Hex,
  type Tokenizer,
} from "../workers/src/sdk/generate.ts";
import { otherSeed, wrongOutput } from "../test/support/cheat.ts";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  freePort,
  fundAndStake,
  setIntervalMining,
  startHardhatNode,
  transferOmnit,
  warpTo,
  type LocalChain,
} from "../test/support/devnet.ts";
import { knownModel } from "../test/support/models.ts";
import { ensureRedis, wipeRedis } from "../test/support/redis.ts";

const ROOT = resolve(import.meta.dirname, "..");
const LOG_DIR = join(ROOT, ".omnitensor", "demo");
const COMPUTE = [1, 2, 3, 4];
const CHEATER = 4;
const VERIFIERS = [5, 6];
const MODEL_OWNER = 9;
const REQUESTER = 10;
const STAKE = parseEther("20000");
const REWARD = "10";
/**
 * The generation task: tiny-lm served by compute-2..4 (the cheater among them) and both verifiers
 * (with 2 validators both are always sampled; one that served no tiny-lm would be drawn as a juror
 * by the dispute and leave the task Unresolved).
 */
const LM_DIR = join(ROOT, "models", "tiny-lm");
const LM_ONNX = join(LM_DIR, "tiny-lm.onnx");
const LM_TOKENIZER = join(LM_DIR, "tokenizer.json");
const LM_SPEC = readFileSync(join(LM_DIR, "tiny-lm.spec.json"), "utf8").trim();
const LM_SERVERS = [2, 3, 4, ...VERIFIERS];
const PROMPT = "And God said, Let";
const PROMPT_SEED = `0x${"5e".repeat(32)}` as const;

const { values: flags } = parseArgs({
  options: {
    keep: { type: "boolean", default: false },
    port: { type: "string" },
    "redis-db": { type: "string", default: "0" },
    help: { type: "boolean" },
  },
});
const REDIS_DB = Number(flags["redis-db"]);
/** This run's own Redis namespace: nothing else writes under it, so the demo may delete it. */
const REDIS_PREFIX = `omnitensor-demo-${process.pid}-`;

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
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what} (node logs: ${LOG_DIR})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Moves the chain clock just past `ts` and says by how much. */
async function warp(url: string, ts: bigint): Promise<void> {
  const secs = await warpTo(url, ts);
  if (secs > 0n) say(dim(`⏩ chain clock +${(Number(secs) / 3600).toFixed(2)} h`));
}

// ---------- the demo's state ----------
interface Demo {
  chain: LocalChain;
  d: Deployment;
  deploymentFile: string;
  modelId: Hex;
  lmId: Hex;
  tokenizer: Tokenizer;
  treasury: OmniTensorClient;
  requester: OmniTensorClient;
  before: Balances;
}
type Balances = Map<Address, { wallet: bigint; stake: bigint }>;
interface Task {
  /** How the demo names it in its lines. */
  label: string;
  id: bigint;
  seats: number;
  verifiers: number;
  /** The nodes that compute the accepted output (they claim after the liquidation). */
  honest: number[];
  get(): Promise<TaskInfo>;
  /** Commitments the requester opened, by node. */
  seen: Map<string, CommitmentReport>;
  stopWatch(): void;
}

let chain: LocalChain | undefined;
const nodes: RunningNode[] = [];

async function shutdown(): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await chain?.stop();
  await wipeRedis(REDIS_PREFIX, REDIS_DB).catch(() => 0);
}

// ---------- 1-3: infrastructure, contracts, stakes ----------
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

async function infrastructure(): Promise<LocalChain> {
  step(1, "Infrastructure");
  const redis = await ensureRedis();
  say(
    redis === "started"
      ? "no Redis on 127.0.0.1:6379: started redis-server (in memory, no persistence)"
      : "Redis answers on 127.0.0.1:6379",
  );
  say(
    dim(
      `  the nodes' keys: db ${REDIS_DB}, prefix ${REDIS_PREFIX} (deleted at the end; nothing else is touched)`,
    ),
  );
  say("compiling the contracts (solcjs; cached after the first run)…");
  await build();
  const wanted = flags.port ? Number(flags.port) : 8545;
  const port = (await portFree(wanted)) ? wanted : await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const c = await startHardhatNode({ port, logFile: join(LOG_DIR, "hardhat-node.log") });
  say(`local chain ${c.rpcUrl} (chain id ${c.chainId})`);
  return c;
}

async function deploy(c: LocalChain): Promise<{ d: Deployment; deploymentFile: string }> {
  step(2, "Deploy OmniToken, NodeStaking, ModelRegistry, TaskManager (+ linked libraries) with Ignition");
  const d = await deployOmniTensor(c.rpcUrl);
  for (const [name, addr] of Object.entries(d.contracts)) say(`${name.padEnd(14)} ${addr}`);
  if (c.port === 8545) {
    mkdirSync(join(ROOT, "deployments"), { recursive: true });
    writeFileSync(join(ROOT, "deployments", `${d.chainId}.json`), JSON.stringify(d, null, 2) + "\n");
    say(dim(`addresses written to deployments/${d.chainId}.json (the CLI and SDK read it)`));
  }
  const deploymentFile = join(LOG_DIR, "deployment.json");
  writeFileSync(deploymentFile, JSON.stringify(d, null, 2));
  return { d, deploymentFile };
}

const connect = (c: LocalChain, d: Deployment, index: number, pollingIntervalMs = 50) =>
  OmniTensorClient.connect({ rpcUrl: c.rpcUrl, privateKey: devKey(index), deployment: d, pollingIntervalMs });

async function stakeAndRegister(c: LocalChain, d: Deployment): Promise<{ modelId: Hex; lmId: Hex }> {
  step(3, "Stake nodes (20,000 OMNIT each) and register two real models");
  await fundAndStake(c.rpcUrl, d, [
    ...COMPUTE.map((index) => ({ index, roles: 1, stake: STAKE })),
    ...VERIFIERS.map((index) => ({ index, roles: 2, stake: STAKE })),
  ]);
  await transferOmnit(c.rpcUrl, d, [devAddress(REQUESTER)], parseEther("100"));
  say(`4 compute nodes (role 1) and 2 validator nodes (role 2) staked; the requester holds 100 OMNIT`);
  const model = knownModel("silero-vad");
  const owner = await connect(c, d, MODEL_OWNER);
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
  const lmSha = sha256Hex(readFileSync(LM_ONNX));
  const { modelId: lmId } = await owner.registerModel({
    onnxSha256: lmSha,
    uri: `file://${LM_ONNX}`,
    spec: LM_SPEC,
    royaltyBps: 500,
  });
  say(
    `model tiny-lm (a byte-level language model trained for this repo: models/tiny-lm, seeded top-8 sampling)`,
  );
  say(dim(`  sha256 ${lmSha}  modelId ${lmId}  royalty 5%`));
  return { modelId, lmId };
}

// ---------- 4: the nodes ----------
async function startOne(demo: Demo, i: number): Promise<RunningNode> {
  const config = parseNodeConfig({
    rpcUrl: demo.chain.rpcUrl,
    privateKey: devKey(i),
    redisUrl: `redis://127.0.0.1:6379/${REDIS_DB}`,
    redisPrefix: `${REDIS_PREFIX}bot${i}`,
    roles: VERIFIERS.includes(i) ? ["verifier"] : ["compute"],
    models: [
      { modelId: demo.modelId, path: knownModel("silero-vad").path },
      ...(LM_SERVERS.includes(i) ? [{ modelId: demo.lmId, path: LM_ONNX }] : []),
    ],
    confirmations: 0,
    pollIntervalMs: 150,
    metrics: { port: -1 },
    deploymentFile: demo.deploymentFile,
    logLevel: "info",
  });
  const logDestination = pino.destination({ dest: join(LOG_DIR, `bot${i}.log`), sync: false, mkdir: true });
  // compute-4 cheats (test/support/cheat.ts): on Silero VAD an output transform replaces its result
  // with a wrong one; on tiny-lm an input transform gives the prompt another sampling seed.
  const lm = demo.lmId.toLowerCase();
  const cheat = i === CHEATER;
  return startNode(config, {
    logDestination,
    connectTimeoutMs: 30_000,
    transformOutput: cheat ? (c, t) => (t.modelId.toLowerCase() === lm ? c : wrongOutput(c, t)) : undefined,
    transformInput: cheat
      ? (inp, t) => (t.modelId.toLowerCase() === lm ? otherSeed(inp, t) : inp)
      : undefined,
  });
}

async function startNodes(demo: Demo): Promise<void> {
  step(4, "Start 4 compute nodes and 2 verifier nodes (BullMQ on Redis, onnxruntime-node)");
  say(dim("  all serve Silero VAD; all but compute-1 also serve tiny-lm"));
  await Promise.all([...COMPUTE, ...VERIFIERS].map(async (i) => nodes.push(await startOne(demo, i))));
  await Promise.all(nodes.map((n) => n.caughtUp));
  const all = [...COMPUTE, ...VERIFIERS].map((i) => nameOf(devAddress(i)));
  say(`nodes up: ${all.join(", ")}`);
  say(dim(`  logs: ${LOG_DIR}/bot<N>.log`));
  // A block every second, so seeds (fixed by the block after a call) appear without traffic.
  await setIntervalMining(demo.chain.rpcUrl, 1000);
}

// ---------- 5-8: the tasks ----------
async function openTask(
  demo: Demo,
  label: string,
  modelId: Hex,
  input: string,
  plan: Pick<Task, "seats" | "verifiers" | "honest">,
): Promise<Task> {
  const { requester, d } = demo;
  const created = await requester.createTask({ modelId, input, reward: REWARD, redundancy: plan.seats });
  const id = created.taskId;
  say(`task #${id} (${label}) created (one transaction, EIP-2612 permit); escrow ${REWARD} OMNIT`);
  const seen = new Map<string, CommitmentReport>();
  const stopWatch = requester.watchCommitments({
    taskId: id,
    resultPrivateKey: created.resultKey.privateKey,
    onCommitment: (r) => {
      if (seen.has(r.node.toLowerCase())) return;
      seen.set(r.node.toLowerCase(), r);
      const verdict = r.ok
        ? green("sealed output opened, commitment checks")
        : red(`bad: ${r.problem ?? "fails its check"}`);
      say(
        `  #${id} ${nameOf(r.node).padEnd(22)} committed → ${verdict}, outputHash ${short(r.outputHash ?? "0x")}`,
      );
    },
    fromBlock: BigInt(d.startBlock),
  });
  return { label, id, ...plan, get: () => requester.getTask(id), seen, stopWatch };
}

async function createTasks(demo: Demo): Promise<Task[]> {
  step(5, `Create two tasks of ${REWARD} OMNIT, inputs sealed to the requester's key`);
  const vad = await openTask(
    demo,
    "Silero VAD, 4 seats",
    demo.modelId,
    knownModel("silero-vad").sampleInput(1),
    {
      seats: 4,
      verifiers: 2,
      honest: [1, 2, 3, ...VERIFIERS],
    },
  );
  const input = promptInput(LM_SPEC, demo.tokenizer, PROMPT, { maxNewTokens: 24, seed: PROMPT_SEED });
  say(`prompt for tiny-lm: "${PROMPT}" (24 new tokens, sampling seed ${short(PROMPT_SEED)})`);
  const gen = await openTask(demo, "tiny-lm generation, 3 seats", demo.lmId, input, {
    seats: 3,
    verifiers: 2,
    honest: [2, 3, ...VERIFIERS],
  });
  await waitFor("4 seats", async () => (await vad.get()).seatHolders.length === 4);
  say(`#${vad.id}: all 4 seats taken by rank; seat window closes at +5 h`);
  // Of tiny-lm's 3 servers, the one ranked behind compute-1 (which does not serve it) waits for
  // half the seat window before it runs the model (the bots' rank rule): travel there.
  await waitFor("2 seats", async () => (await gen.get()).seatHolders.length >= 2);
  const g = await gen.get();
  await warp(demo.chain.rpcUrl, g.createdAt + (g.seatDeadline - g.createdAt) / 2n);
  await waitFor("3 seats", async () => (await gen.get()).seatHolders.length === 3);
  say(`#${gen.id}: all 3 seats taken`);
  return [vad, gen];
}

const latest = async (tasks: Task[], k: "seatDeadline" | "commitDeadline" | "revealDeadline") =>
  (await Promise.all(tasks.map(async (t) => (await t.get())[k]))).reduce((a, b) => (a > b ? a : b));

async function verifiersRun(demo: Demo, tasks: Task[]): Promise<void> {
  step(6, "Time travel past the seat windows: verifiers are drawn by lot and re-run the tasks");
  await warp(demo.chain.rpcUrl, await latest(tasks, "seatDeadline"));
  for (const task of tasks) {
    await waitFor(
      `#${task.id} verifier commits`,
      async () => (await task.get()).committedVerifiers === task.verifiers,
    );
    const opened = task.seats + task.verifiers;
    await waitFor(`#${task.id} opened outputs`, async () => task.seen.size === opened || undefined);
    const hashes = new Map<string, string[]>();
    for (const r of task.seen.values())
      hashes.set(r.outputHash ?? "?", [...(hashes.get(r.outputHash ?? "?") ?? []), nameOf(r.node)]);
    for (const [h, who] of hashes) say(`  #${task.id} output ${short(h)}: ${who.join(", ")}`);
  }
}

async function dispute(demo: Demo, tasks: Task[]): Promise<void> {
  step(7, "The requester's outputs disagree in both: it disputes (bond = reward) and a jury is called");
  for (const task of tasks) {
    if (!outputsDisagree([...task.seen.values()]))
      throw new Error(`expected the cheater's output to disagree in task #${task.id}`);
    await demo.requester.dispute(task.id);
    const info = await task.get();
    say(`#${task.id} ${yellow("disputed")}: bond ${omnit(info.disputeBond)} OMNIT escrowed`);
  }
  say("the §5 rule will judge: n > min(10·m, 66% of the nodes called)");
}

async function reveals(demo: Demo, tasks: Task[]): Promise<void> {
  step(8, "Time travel to the reveal window (20 h – 24 h): every node reveals");
  await warp(demo.chain.rpcUrl, await latest(tasks, "commitDeadline"));
  for (const task of tasks) {
    const all = task.seats + task.verifiers;
    await waitFor(`#${task.id} reveals`, async () => (await task.get()).revealedCount === all);
    const info = await task.get();
    say(`#${task.id}: ${all} reveals: leader ${short(info.leader)} with n = ${info.n}, others m = ${info.m}`);
  }
}

// ---------- 9: finalize, liquidate, claim ----------
async function liquidation(demo: Demo, task: Task) {
  const liq = await waitFor("the liquidation", async () => {
    const logs = await demo.requester.ctx.publicClient.getLogs({
      address: demo.d.contracts.TaskManager,
      event: parseAbiItem(
        "event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator)",
      ),
      args: { taskId: task.id },
      fromBlock: BigInt(demo.d.startBlock),
    });
    return logs[0];
  });
  say(
    `#${task.id} ${red("Liquidated")} ${nameOf(liq.args.node!)}: ${omnit(liq.args.amount!)} OMNIT slashed (by ${nameOf(liq.args.liquidator!)}), paid to the nodes that were right`,
  );
  return liq;
}

/** True once every honest node has claimed after the liquidation (its part of the slash) and holds no credit. */
async function allClaimed(demo: Demo, task: Task, liq: { blockNumber: bigint; logIndex: number }) {
  const claims = await demo.requester.ctx.publicClient.getLogs({
    address: demo.d.contracts.TaskManager,
    event: parseAbiItem("event Claimed(uint256 indexed taskId, address indexed node, uint256 amount)"),
    args: { taskId: task.id },
    fromBlock: liq.blockNumber,
  });
  for (const a of task.honest.map(devAddress)) {
    const after = claims.some(
      (c) =>
        c.args.node?.toLowerCase() === a.toLowerCase() &&
        (c.blockNumber > liq.blockNumber || c.logIndex > liq.logIndex),
    );
    if (!after || (await demo.requester.creditOf(a)) !== 0n) return false;
  }
  return true;
}

async function settle(demo: Demo, tasks: Task[]): Promise<void> {
  step(9, "Time travel past 24 h: finalize, liquidate the cheater, claim, deliver, withdraw");
  await warp(demo.chain.rpcUrl, await latest(tasks, "revealDeadline"));
  const liqs: Awaited<ReturnType<typeof liquidation>>[] = [];
  for (const task of tasks) {
    await waitFor(`#${task.id} finalized`, async () => (await task.get()).status === "Finalized");
    const info = await task.get();
    say(
      `#${task.id} ${green("Finalized")}: output ${short(info.acceptedOutputHash)} accepted (n = ${info.n} > min(10·${info.m}, 66% of the vote))`,
    );
    liqs.push(await liquidation(demo, task));
  }
  for (const task of tasks) await waitFor(`#${task.id} delivery`, async () => (await task.get()).delivered);
  say(`results delivered on chain (ResultDelivered; a dApp callback would receive them)`);
  for (const [i, task] of tasks.entries())
    await waitFor("claims and withdrawals", () => allClaimed(demo, task, liqs[i]), 60_000);
  say("every honest node claimed its share (and its part of the slashed stake) and withdrew it");
  for (const task of tasks) task.stopWatch();
}

/** The prompt and the accepted generation, decoded with the spec's tokenizer. */
async function generated(demo: Demo, task: Task): Promise<void> {
  const accepted = (await task.get()).acceptedOutputHash.toLowerCase();
  const r = [...task.seen.values()].find((x) => x.outputHash?.toLowerCase() === accepted);
  const gen = r?.canonicalText ? decodeGeneration(demo.tokenizer, r.canonicalText) : null;
  if (!gen) throw new Error(`task #${task.id}: no accepted generation among the opened outputs`);
  say(
    `generation task #${task.id} (tiny-lm, verified by 3 seats and 2 verifiers; the reseeded cheater liquidated)`,
  );
  say(`  prompt:   ${JSON.stringify(PROMPT)}`);
  say(`  accepted: ${JSON.stringify(gen.text)} (${gen.tokens.length} tokens, stop: ${gen.stop})`);
  const cheat = task.seen.get(devAddress(CHEATER).toLowerCase())?.canonicalText;
  const wrong = cheat ? decodeGeneration(demo.tokenizer, cheat) : null;
  if (wrong) say(dim(`  the cheater's text (another seed, not paid): ${JSON.stringify(wrong.text)}`));
}

// ---------- 10: summary ----------
async function balances(c: OmniTensorClient, d: Deployment): Promise<Balances> {
  const out: Balances = new Map();
  const read = c.ctx.publicClient;
  for (const i of [...COMPUTE, ...VERIFIERS, REQUESTER, MODEL_OWNER]) {
    const a = devAddress(i);
    const stake = await read.readContract({
      address: d.contracts.NodeStaking,
      abi: nodeStakingAbi,
      functionName: "stakeOf",
      args: [a],
    });
    const wallet = await read.readContract({
      address: d.contracts.OmniToken,
      abi: omniTokenAbi,
      functionName: "balanceOf",
      args: [a],
    });
    out.set(a, { wallet: wallet + (await c.creditOf(a)), stake: stake as bigint });
  }
  return out;
}

function printTable(rows: string[][]): void {
  // eslint-disable-next-line no-control-regex
  const len = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => len(r[c]))));
  const pad = (cell: string, c: number) =>
    c === 0 ? cell + " ".repeat(widths[c] - len(cell)) : " ".repeat(widths[c] - len(cell)) + cell;
  const line = (r: string[]) => "  " + r.map(pad).join("  ");
  console.log(bold(line(rows[0])));
  for (const r of rows.slice(1)) console.log(line(r));
}

async function summary(demo: Demo, gen: Task): Promise<void> {
  step(10, "Summary: OMNIT before → after");
  const after = await balances(demo.requester, demo.d);
  const rows: string[][] = [
    ["account", "wallet+credit before", "wallet+credit after", "stake before", "stake after", "change"],
  ];
  for (const [addr, b] of demo.before) {
    const a = after.get(addr)!;
    const delta = a.wallet + a.stake - b.wallet - b.stake;
    const sign = delta > 0n ? green(`+${omnit(delta)}`) : delta < 0n ? red(`-${omnit(-delta)}`) : "0";
    rows.push([nameOf(addr), omnit(b.wallet), omnit(a.wallet), omnit(b.stake), omnit(a.stake), sign]);
  }
  printTable(rows);
  const credit = await demo.requester.creditOf(devAddress(REQUESTER));
  const wallet = after.get(devAddress(REQUESTER))!.wallet;
  if (credit > 0n)
    say(
      dim(
        `of the requester's ${omnit(wallet)} OMNIT, ${omnit(credit)} is credit to withdraw (its dispute bond back, unpaid seats)`,
      ),
    );
  await generated(demo, gen);
}

// ---------- main ----------
async function main(): Promise<void> {
  console.log(
    bold("OmniTensor demo") +
      dim("  (a local chain, real contracts, two real ONNX models, 6 nodes, one cheater)"),
  );
  chain = await infrastructure();
  const { d, deploymentFile } = await deploy(chain);
  const { modelId, lmId } = await stakeAndRegister(chain, d);
  const treasury = await connect(chain, d, 0);
  const requester = await connect(chain, d, REQUESTER, 100);
  const demo: Demo = {
    chain,
    d,
    deploymentFile,
    modelId,
    lmId,
    tokenizer: await loadTokenizer(LM_SPEC, { path: LM_TOKENIZER }),
    treasury,
    requester,
    before: await balances(treasury, d),
  };
  await startNodes(demo);
  const tasks = await createTasks(demo);
  await verifiersRun(demo, tasks);
  await dispute(demo, tasks);
  await reveals(demo, tasks);
  await settle(demo, tasks);
  await summary(demo, tasks[1]);
  console.log(
    `\n${green("✔")} ${bold("done")} in ${((Date.now() - t0) / 1000).toFixed(0)} s: the cheater lost its stake; honest nodes were paid; the prompt came back as verified text.`,
  );
}

if (flags.help) {
  console.log("Usage: npm run demo [-- --keep] [-- --port 8545] [-- --redis-db 0]\n\n");
  console.log(readFileSync(import.meta.filename, "utf8").split("*/")[0]);
  process.exit(0);
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
        `--keep: the chain (${chain!.rpcUrl}) and the nodes keep running. Try: npx omnitensor task status 1. Ctrl-C stops.`,
      );
      const args =
        chain!.port === 8545
          ? ""
          : ` -- --rpc ${chain!.rpcUrl} --deployment ${join(LOG_DIR, "deployment.json")}`;
      say(`dashboard: in another terminal \`npm run dashboard${args}\`, then open http://127.0.0.1:5173`);
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
