/**
 * Gas benchmark (issues 4 and 12): what the checked gas snapshots (test/contracts/gas/TaskManager.gas.t.sol →
 * snapshots/TaskManager.json, compared by `npm test`) cannot give. Real transactions on an in-process
 * EDR chain (the Ignition deployment of test/support/devnet.ts, the §7 encodings of workers/src/protocol):
 * receipts against the issue-12 targets, and where each transaction's gas goes (debug_traceTransaction).
 * Prints the report and writes docs/gas.md:   npm run bench:gas   (= hardhat run scripts/bench-gas.ts)
 */
import { network } from "hardhat";
import * as prettier from "prettier";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, maxUint256, parseEther, toHex, zeroAddress } from "viem";
import type { Abi, Address, Hex } from "viem";
import { omniTokenAbi, taskManagerAbi } from "../workers/src/chain/abis.ts";
import * as protocol from "../workers/src/protocol/index.ts";
import * as devnet from "../test/support/devnet.ts";
// docs/gas.md's prose: the design, what each choice costs, what the misses would need.
import { EXPLAINED } from "./bench-gas-notes.ts";

const { ROOT, chainTime, devAddress, devKey, mine, rpc, warpTo } = devnet;
const OUT = join(ROOT, "docs", "gas.md");
const TM = taskManagerAbi as Abi;
const NODES = Array.from({ length: 24 }, (_, i) => i + 1);
const [REQUESTER, MODEL_OWNER, RELAYER] = [30, 31, 32];
const utf8 = (s: string) => toHex(new TextEncoder().encode(s));
const INPUT = '{"inputs":{"x":{"type":"float32","dims":[1,8],"data":[0.5,1.25,-3,4,0.125,6,7.75,-8]}}}';
const INPUT_256 = utf8(INPUT.padEnd(256, " ")); // a 256-byte inline input
const CANONICAL = '{"outputs":[{"name":"y","dims":[1],"data":[3]}]}';
const SPEC =
  '{"inputs":[{"name":"x","type":"float32","dims":[1,8]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';
const FINALIZED = 5;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---------------------------------------------------------------------------------------- chain and protocol

const conn = await network.create();
const P = conn.provider as unknown as devnet.Target;
for (const i of [...NODES, REQUESTER, MODEL_OWNER, RELAYER])
  await rpc(P, "hardhat_setBalance", [devAddress(i), toHex(parseEther("1000"))]);
const { deployment: d, libraries } = await devnet.deployDevnet(P);
const { TaskManager: tm, OmniToken: omnit } = d.contracts;
const send = (who: number, to: Address, abi: Abi, fn: string, args: readonly unknown[]) =>
  devnet.sendAs(P, who, to, abi, fn, args, d.chainId);
const resultKey = protocol.generateResultKey(`0x${"42".repeat(32)}`);
const domain = { chainId: d.chainId, verifyingContract: tm };
const onnxSha256 = keccak256(utf8("bench model"));
const modelId = await devnet.registerModel(P, d, MODEL_OWNER, { onnxSha256, spec: SPEC, royaltyBps: 500 });
const stakes = NODES.map((index) => ({ index, roles: 3, stake: parseEther("20000") }));
await devnet.fundAndStake(P, d, stakes);
await send(0, omnit, omniTokenAbi, "transfer", [devAddress(REQUESTER), parseEther("100000")]);
await send(REQUESTER, omnit, omniTokenAbi, "approve", [tm, maxUint256]);
await send(0, tm, TM, "setExpectedVerifiers", [64n]);
await warpTo(P, (await chainTime(P)) + 60n); // nodes active since before each task's createdAt

const txs: { tag: string; fn: string; hash: Hex; gas: bigint }[] = [];
let tag = "setup";
async function tx(who: number, fn: string, args: readonly unknown[]): Promise<void> {
  const r = await send(who, tm, TM, fn, args);
  txs.push({ tag, fn, hash: r.transactionHash, gas: r.gasUsed });
}
const { publicClient } = devnet.clientsOn(P, 0, d.chainId);
const read = async <T>(functionName: string, args: readonly unknown[] = []) =>
  (await publicClient.readContract({ address: tm, abi: TM, functionName, args })) as T;
type Deadlines = { seatDeadline: bigint; commitDeadline: bigint; revealDeadline: bigint };
const warpToEnd = async (id: bigint, of: keyof Deadlines) =>
  warpTo(P, (await read<Deadlines>("getTask", [id]))[of]);

type Prepared = { node: number; address: Address; commitment: Hex; sealed: Hex; outputHash: Hex; salt: Hex };
async function prepare(id: bigint, node: number): Promise<Prepared> {
  const address = devAddress(node);
  const salt = await protocol.deriveSalt(devKey(node), domain, id);
  const outputHash = protocol.outputHashOf(CANONICAL);
  const sealed = protocol.sealOutput(resultKey.publicKey, id, address, salt, CANONICAL);
  const commitment = protocol.commitmentOf(id, address, outputHash, salt);
  return { node, address, salt, outputHash, sealed, commitment };
}
const signed = async (id: bigint, p: Prepared, place: number) => {
  const deadline = (await chainTime(P)) + 86_400n;
  const c = { taskId: id, place, commitment: p.commitment, sealedOutput: p.sealed, deadline };
  return protocol.signCommit({ account: devKey(p.node), domain, ...c });
};
const commit = (id: bigint, p: Prepared) => tx(p.node, "commit", [id, p.commitment, p.sealed]);
const reveal = (id: bigint, p: Prepared) => tx(p.node, "reveal", [id, p.address, p.outputHash, p.salt]);
async function claim(id: bigint, node: number) {
  await tx(node, "claim", [id]);
  await send(node, tm, TM, "withdraw", []); // the next claim starts from a zero credit again (the costly case)
}

async function create(k: number): Promise<bigint> {
  const req = { modelId, inputURI: "", inputHash: `0x${"00".repeat(32)}`, reward: parseEther("10") };
  const refs = { resultKey: resultKey.publicKey, callback: zeroAddress, disputer: zeroAddress };
  await tx(REQUESTER, "createTask", [
    { ...req, ...refs, input: INPUT_256, redundancy: k, callbackGasLimit: 0 },
  ]);
  await mine(P, 1); // the seed of block b is known from block b + 2
  return read<bigint>("taskCount");
}

/** The k best-ranked nodes (rank, then address), prepared; waits seat steps until the k-th is eligible. */
async function best(id: bigint, k: number): Promise<Prepared[]> {
  const ranked = [];
  for (const node of NODES) ranked.push({ node, rank: await read<bigint>("rankOf", [id, devAddress(node)]) });
  const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
  ranked.sort((x, y) => cmp(x.rank, y.rank) || cmp(BigInt(devAddress(x.node)), BigInt(devAddress(y.node))));
  const chosen = ranked.slice(0, k).map((r) => r.node);
  for (let i = 0; i < 20 && !(await read<[boolean]>("isEligible", [id, devAddress(chosen[k - 1])]))[0]; i++)
    await warpTo(P, (await chainTime(P)) + 1800n);
  return Promise.all(chosen.map((n) => prepare(id, n)));
}

/** A task with `seats` seat and `verifiers` verifier commits, all revealed, finalized; claims and deliver if asked. */
async function runTask(seats: number, verifiers: number, o: { disputed?: boolean; claim?: boolean } = {}) {
  const id = await create(seats);
  const seatPs = await best(id, seats);
  for (const p of seatPs) await commit(id, p);
  if (verifiers > 0 || o.disputed) {
    await warpToEnd(id, "seatDeadline");
    await (o.disputed ? tx(REQUESTER, "dispute", [id]) : tx(RELAYER, "drawVerifiers", [id]));
    await mine(P, 1);
  }
  const vNodes = NODES.filter((n) => !seatPs.some((p) => p.node === n)).slice(0, verifiers);
  const vPs = await Promise.all(vNodes.map((n) => prepare(id, n)));
  for (const p of vPs) await commit(id, p);
  await warpToEnd(id, "commitDeadline");
  for (const p of [...seatPs, ...vPs]) await reveal(id, p);
  await warpToEnd(id, "revealDeadline");
  await tx(RELAYER, "finalize", [id]);
  if ((await read<number>("statusOf", [id])) !== FINALIZED) throw new Error(`task ${id} did not finalize`);
  for (const p of o.claim ? [...seatPs, ...vPs] : []) await claim(id, p.node);
  await tx(RELAYER, "deliver", [id, utf8(CANONICAL)]);
  return { id, seatPs };
}

// ---------------------------------------------------------------------------------------- scenarios

for (const [name, seats, verifiers, o] of [
  ["warmup", 10, 14, { claim: true }], // every node's reputation and credit slots written once
  ["t3", 3, 0, { claim: true }],
  ["t3v", 3, 3, { claim: true }],
  ["f1", 1, 0, {}],
  ["f16", 10, 6, {}],
  ["f16d", 10, 6, { disputed: true }],
] as const) {
  tag = name;
  await runTask(seats, verifiers, o);
}
tag = "vb16"; // commitBatch of 16 verifier places after one seat
{
  const id = await create(1);
  const [seat] = await best(id, 1);
  await commit(id, seat);
  await warpToEnd(id, "seatDeadline");
  await tx(RELAYER, "drawVerifiers", [id]);
  await mine(P, 1);
  const cs = [];
  for (const n of NODES.filter((x) => x !== seat.node).slice(0, 16))
    cs.push(await signed(id, await prepare(id, n), 2)); // verifier places
  await tx(RELAYER, "commitBatch", [cs]);
}
tag = "r3"; // relayed: 6 redundancy-3 tasks, their 18 seats in one commitBatch, revealBatch and claimBatch
const RELAYED_TASKS = 6;
{
  const tasks: { id: bigint; ps: Prepared[] }[] = [];
  for (let i = 0; i < RELAYED_TASKS; i++) tasks.push({ id: await create(3), ps: [] });
  for (const t of tasks) t.ps = await best(t.id, 3);
  const cs = [];
  for (const t of tasks) for (const p of t.ps) cs.push(await signed(t.id, p, 1));
  await tx(RELAYER, "commitBatch", [cs]);
  const last = tasks[tasks.length - 1].id;
  await warpToEnd(last, "commitDeadline");
  const rs = tasks.flatMap((t) =>
    t.ps.map((p) => ({ taskId: t.id, node: p.address, outputHash: p.outputHash, salt: p.salt })),
  );
  await tx(RELAYER, "revealBatch", [rs]);
  await warpToEnd(last, "revealDeadline");
  for (const t of tasks) await tx(RELAYER, "finalize", [t.id]);
  const pairs = tasks.flatMap((t) => t.ps.map((p) => [t.id, p.address] as const));
  await tx(RELAYER, "claimBatch", [pairs.map((x) => x[0]), pairs.map((x) => x[1])]);
  for (const node of new Set(tasks.flatMap((t) => t.ps.map((p) => p.node))))
    await send(node, tm, TM, "withdraw", []);
}
tag = "liq"; // a silent seat liquidated by a winner in a Finalized task, then a winner's claim
{
  const id = await create(3);
  const ps = await best(id, 3);
  for (const p of ps) await commit(id, p);
  await warpToEnd(id, "commitDeadline");
  for (const p of ps.slice(0, 2)) await reveal(id, p);
  await warpToEnd(id, "revealDeadline");
  await tx(RELAYER, "finalize", [id]);
  await tx(ps[0].node, "liquidate", [id, ps[2].address]);
  await claim(id, ps[1].node);
}

// ---------------------------------------------------------------------------------------- traces

const names = new Map(Object.entries({ ...d.contracts, ...libraries }).map(([n, a]) => [a.toLowerCase(), n]));
const nameOf = (a: string) => {
  const hex = `0x${a.replace(/^0x/, "").padStart(40, "0").slice(-40)}`.toLowerCase();
  return BigInt(hex) > 0n && BigInt(hex) < 0x100n ? "precompile" : (names.get(hex) ?? "other");
};
type Log = { op: string; gasCost: number; depth: number; stack?: string[] };

/** One table row: where a transaction's gas goes, from its opcode trace (a library's steps count as its caller's). */
async function breakdown(op: string, hash: Hex): Promise<string> {
  const t = await publicClient.getTransaction({ hash });
  const gasUsed = (await publicClient.getTransactionReceipt({ hash })).gasUsed;
  const opts = { disableMemory: true, disableStorage: true };
  const { structLogs } = (await rpc(P, "debug_traceTransaction", [hash, opts])) as { structLogs: Log[] };
  let intrinsic = 21_000;
  for (let i = 2; i < t.input.length; i += 2) intrinsic += t.input.slice(i, i + 2) === "00" ? 4 : 16;
  const newSlots: Record<string, number> = {};
  const calls: Record<string, number> = {};
  const n = { newGas: 0, updates: 0, updateGas: 0, sloads: 0, sloadGas: 0, logGas: 0 };
  const ctx: string[] = [];
  ctx[1] = nameOf(t.to!);
  let pending: { name: string; depth: number } | undefined; // a CALL's target is the context one level deeper
  for (const l of structLogs) {
    if (pending && l.depth === pending.depth + 1) ctx[l.depth] = pending.name;
    pending = undefined;
    const here = ctx[l.depth] ?? "other";
    if (l.op === "SSTORE" && l.gasCost >= 20_000)
      [newSlots[here], n.newGas] = [(newSlots[here] ?? 0) + 1, n.newGas + l.gasCost];
    else if (l.op === "SSTORE") [n.updates, n.updateGas] = [n.updates + 1, n.updateGas + l.gasCost];
    else if (l.op === "SLOAD") [n.sloads, n.sloadGas] = [n.sloads + 1, n.sloadGas + l.gasCost];
    else if (l.op.startsWith("LOG")) n.logGas += l.gasCost;
    else if (["CALL", "STATICCALL", "DELEGATECALL"].includes(l.op)) {
      const to = nameOf(l.stack![l.stack!.length - 2]);
      calls[to] = (calls[to] ?? 0) + 1;
      pending = { name: l.op === "DELEGATECALL" ? here : to, depth: l.depth };
    }
  }
  const dict = (r: Record<string, number>) =>
    Object.keys(r)
      .map((k) => `${k} ${r[k]}`)
      .join(", ") || "–";
  const slots = `${Object.values(newSlots).reduce((a, x) => a + x, 0)} = ${fmt(n.newGas)} (${dict(newSlots)})`;
  const cells = [fmt(Number(gasUsed)), fmt(intrinsic), slots, `${n.updates} = ${fmt(n.updateGas)}`];
  return `| ${op} | ${[...cells, `${n.sloads} = ${fmt(n.sloadGas)}`, fmt(n.logGas), dict(calls)].join(" | ")} |`;
}

// ---------------------------------------------------------------------------------------- report

const all = (tg: string, fn: string) => txs.filter((x) => x.tag === tg && x.fn === fn);
function one(tg: string, fn: string, i = 0) {
  const x = all(tg, fn)[i];
  if (!x) throw new Error(`no ${fn} #${i} in ${tg}`);
  return x;
}
const g = (tg: string, fn: string, i = 0) => Number(one(tg, fn, i).gas);
const whole = (tg: string) =>
  txs.filter((x) => x.tag === tg && x.fn !== "deliver").reduce((a, x) => a + Number(x.gas), 0);
const fin1 = g("f1", "finalize");
let perSeat = 0; // three seats' commit + reveal + claim
for (const i of [0, 1, 2]) perSeat += g("t3", "commit", i) + g("t3", "reveal", i) + g("t3", "claim", i);
const sum = (tg: string, fn: string) => all(tg, fn).reduce((a, x) => a + Number(x.gas), 0);
const mean = (tg: string, fn: string) => sum(tg, fn) / all(tg, fn).length;
const relayedSeats = RELAYED_TASKS * 3;
const relayedSeat =
  (sum("r3", "commitBatch") + sum("r3", "revealBatch") + sum("r3", "claimBatch")) / relayedSeats;
const relayedTask = mean("r3", "createTask") + 3 * relayedSeat + mean("r3", "finalize");
// Issue 12: [what, now (the issue), before this redesign (main at a969c99, this script), result, target, Infernet]
type Row = [string, number | undefined, number | undefined, number, number, number | undefined, string?];
const targets: Row[] = [
  [
    "createTask, 256-byte inline input, redundancy 3",
    366_367,
    366_739,
    g("t3", "createTask"),
    180_000,
    142_471,
  ],
  [
    "one seat, single transactions (commit + reveal + claim, mean of 3)",
    350_286,
    371_458,
    perSeat / 3,
    200_000,
    undefined,
  ],
  [
    `one seat, relayed (its share of commitBatch, revealBatch and claimBatch of ${relayedSeats})`,
    undefined,
    undefined,
    relayedSeat,
    100_000,
    undefined,
  ],
  [
    "whole redundancy-3 task, single transactions, create → all claims",
    1_487_392,
    1_551_324,
    whole("t3"),
    800_000,
    undefined,
  ],
  ["whole redundancy-3 task, relayed", undefined, undefined, relayedTask, 500_000, 521_738],
  [
    "commitBatch per commit at 16 (verifier places)",
    88_593,
    99_303,
    g("vb16", "commitBatch") / 16,
    45_000,
    undefined,
  ],
  [
    "finalize at 16 reveals ÷ finalize at 1",
    1.04,
    1.041,
    g("f16", "finalize") / fin1,
    1.05,
    undefined,
    "ratio",
  ],
];
const cell = (x: number | undefined, ratio?: string) =>
  x === undefined ? "—" : ratio ? x.toFixed(3).replace(/0$/, "") : fmt(x);
const verdict = (gasUsed: number, target: number, ratio?: string) => {
  const pct = ((Math.abs(gasUsed - target) / target) * 100).toFixed(1);
  if (gasUsed <= target) return `pass (−${pct} %)`;
  return ratio ? `**miss** (+${pct} %)` : `**miss** (${fmt(gasUsed - target)} over, +${pct} %)`;
};
const traced: [string, string, string, number?][] = [
  ["commitBatch of 18 seats (6 tasks, whole call)", "r3", "commitBatch"],
  ["revealBatch of 18 seats (whole call)", "r3", "revealBatch"],
  ["claimBatch of 18 seats (whole call)", "r3", "claimBatch"],
  ["createTask (256-byte input)", "t3", "createTask"],
  ["commit, 1st seat (stores the seat seed)", "t3", "commit", 0],
  ["commit, 2nd seat", "t3", "commit", 1],
  ["commit, sampled verifier (2nd, seed stored)", "t3v", "commit", 4],
  ["reveal, 1st seat (first reveal of the task)", "t3", "reveal", 0],
  ["reveal, 2nd seat", "t3", "reveal", 1],
  ["claim, seat", "t3", "claim", 0],
  ["finalize at 1 reveal", "f1", "finalize"],
  ["finalize at 16 reveals", "f16", "finalize"],
  ["finalize at 16 reveals, disputed", "f16d", "finalize"],
  ["commitBatch of 16 (whole call)", "vb16", "commitBatch"],
  ["liquidate", "liq", "liquidate"],
  ["deliver (no callback)", "t3", "deliver"],
];
const breakdownRows: string[] = [];
for (const [op, tg, fn, i] of traced) breakdownRows.push(await breakdown(op, one(tg, fn, i).hash));
await conn.close();
const snapshotFile = readFileSync(join(ROOT, "snapshots", "TaskManager.json"), "utf8");
const snapshots = Object.entries(JSON.parse(snapshotFile) as Record<string, string>).sort(([a], [b]) =>
  a.localeCompare(b),
);
const md = [
  "# Gas",
  "",
  "Written by `npm run bench:gas` (scripts/bench-gas.ts); do not edit by hand. Each number is a",
  "transaction receipt's `gasUsed` (21,000 base and calldata included) on Hardhat's in-process EDR",
  "chain, with the Ignition deployment (linked libraries, optimizer 200 runs) and the real §7",
  `encodings. Setup: 24 nodes with both roles, reward 10 OMNIT, royalty 5 %, a canonical output of ${CANONICAL.length}`,
  `bytes (sealed: ${CANONICAL.length + 104} bytes of calldata), a 256-byte inline input; a warm-up task first (10 seats + 14`,
  "verifiers, all claim: every node's reputation and credit slots exist, as on a network in use); nodes withdraw after",
  "each claim (the credit slot keeps credit + 1, so the next claim updates it); `expectedVerifiers` raised to 64 so that",
  "every validator without a seat has a verifier place (that constant changes no call's gas).",
  "",
  "## Targets (issue 12, receipts)",
  "",
  "“Now” is the issue's column; “before” is this script on main before the storage redesign (a969c99). Infernet",
  "(Ritual, which verifies nothing by replication) from its `.gas-snapshot`: 142,471 to create a subscription,",
  "521,738 for a whole redundancy-2 round.",
  "",
  "| measure | now | before | result | target | verdict | Infernet |",
  "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
  ...targets.map(
    ([what, now, before, result, t, infernet, ratio]) =>
      `| ${what} | ${cell(now, ratio)} | ${cell(before, ratio)} | ${cell(result, ratio)} | ≤ ${cell(t, ratio)} | ${verdict(result, t, ratio)} | ${cell(infernet)} |`,
  ),
  "",
  `For information: finalize at 1 reveal ${fmt(fin1)}, at 16 reveals ${fmt(g("f16", "finalize"))}; a whole`,
  `redundancy-3 task with 3 sampled verifiers (+ drawVerifiers) ${fmt(whole("t3v"))}. Relayed: commitBatch of`,
  `${relayedSeats} seats ${fmt(sum("r3", "commitBatch"))}, revealBatch ${fmt(sum("r3", "revealBatch"))}, claimBatch ${fmt(sum("r3", "claimBatch"))};`,
  `the relayed task is createTask + 3 seats' shares + finalize (${fmt(mean("r3", "finalize"))}).`,
  "",
  ...EXPLAINED,
  "",
  "## Where the gas goes",
  "",
  "From each transaction's opcode trace (`debug_traceTransaction`): intrinsic cost, storage slots written",
  "from zero (22,100 cold / 20,000 warm) by contract, other storage writes, storage reads, event gas,",
  "and the external calls (DELEGATECALL to a linked library counted under the library, whose writes land",
  "in TaskManager).",
  "",
  "| transaction | gas | base + calldata | new slots (20k+) | slot updates | SLOADs | events | external calls |",
  "| --- | ---: | ---: | --- | --- | --- | ---: | --- |",
  ...breakdownRows,
  "",
  "## Checked snapshots",
  "",
  "`npm test` fails when one of these moves and snapshots/TaskManager.json does not move with it. Each is",
  "the gas used inside one call (no 21,000 base, no calldata), measured by",
  "test/contracts/gas/TaskManager.gas.t.sol; refresh with `npx hardhat test solidity --snapshot`.",
  "",
  "| call | gas |",
  "| --- | ---: |",
  ...snapshots.map(([k, v]) => `| ${k} | ${fmt(Number(v))} |`),
  "",
].join("\n");
writeFileSync(OUT, await prettier.format(md, { ...(await prettier.resolveConfig(OUT)), filepath: OUT }));
console.log(md);
console.log(`wrote ${OUT}`);
