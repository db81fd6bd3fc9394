/**
 * runSim: deploys the protocol on an in-process chain through the devnet harness, sets up the
 * network of the config, runs rounds of tasks until --tasks, and measures everything from the
 * chain (events of the receipts, creditOf / stakeOf / balances, gasUsed). Used by `npm run sim`
 * (scripts/sim/main.ts) and by test/sim/sim.test.ts.
 */
import { keccak256, toHex, type Address, type Hex } from "viem";
import { modelRegistryAbi } from "../../workers/src/chain/abis.ts";
import { SimChain } from "./chain.ts";
import { deterministicClock } from "./clock.ts";
import type { SimConfig } from "./config.ts";
import { measure, type SimReport } from "./measure.ts";
import { runRound, type RoundCtx, type SimTask } from "./round.ts";
import { makeWorld, setUp } from "./world.ts";

const SPEC =
  '{"inputs":[{"name":"x","type":"float32","dims":[1,8]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';

async function registerModel(chain: SimChain, c: SimConfig, owner: Address): Promise<Hex> {
  await chain.account(owner);
  const sha = keccak256(toHex(`sim:${c.seed}:model`));
  const registry = chain.d.contracts.ModelRegistry;
  await chain.send(owner, registry, modelRegistryAbi, "registerModel", [
    sha,
    "file://sim.onnx",
    SPEC,
    c.royaltyBps,
  ]);
  return chain.read<Hex>(registry, modelRegistryAbi, "modelIdOf", [owner, sha, SPEC]);
}

export interface Provider {
  request: (a: { method: string; params?: unknown[] }) => Promise<unknown>;
}

/** Runs one simulation on `provider` (a fresh in-process chain) and returns its report. */
export async function runSim(
  c: SimConfig,
  provider: Provider,
  log: (s: string) => void = () => {},
): Promise<SimReport> {
  const started = Date.now();
  const chain = new SimChain(deterministicClock(provider) as never);
  await chain.deploy();
  const w0 = makeWorld(c, "0x");
  const modelId = await registerModel(chain, c, w0.modelOwner);
  const w = { ...w0, modelId };
  await setUp(chain, c, w);
  const accounts = [
    ...w.nodes.map((n) => n.addr),
    ...w.requesters.map((r) => r.addr),
    w.keeper,
    w.modelOwner,
  ];
  const before = new Map<Address, bigint>();
  for (const a of accounts) before.set(a, await chain.wealth(a));
  const txsBefore = chain.txs.length;
  const eventsBefore = chain.events.length;
  const startTime = await chain.now();
  const ctx: RoundCtx = { chain, c, w, active: [], nextTask: 0 };
  const tasks: SimTask[] = [];
  while (tasks.length < c.tasks) {
    const n = Math.min(c.batch, c.tasks - tasks.length);
    tasks.push(...(await runRound(ctx, n)));
    log(
      `round ${Math.ceil(tasks.length / c.batch)}: ${tasks.length}/${c.tasks} tasks, ${chain.txs.length} txs, ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const after = new Map<Address, bigint>();
  for (const a of accounts) after.set(a, await chain.wealth(a));
  const days = Number((await chain.now()) - startTime) / 86_400;
  return measure({
    c,
    w,
    tasks,
    txs: chain.txs.slice(txsBefore),
    events: chain.events.slice(eventsBefore),
    before,
    after,
    days,
    pool: await chain.readTm<bigint>("verificationPool"),
    seconds: (Date.now() - started) / 1000,
  });
}
