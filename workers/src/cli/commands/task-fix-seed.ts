import { CliError, type CliCommand } from "../types.ts";
import { fixSeed, SEED_KINDS, type SeedKindName } from "../../sdk/actions.ts";
import { chainNow, getTask, type TaskInfo } from "../../sdk/tasks.ts";
import { commonHelp, connectCli, parseCli, parseTaskId, runCli } from "../options.ts";

const help = `Usage: omnitensor task fix-seed <taskId> [--kind seats|verifiers|jury]

Stores a task's seeds (PROTOCOL.md §4.1; anyone may). A seed asked for in block b (by
createTask, drawVerifiers or dispute) is known from block b + 2 until block b + 257; nodes store
it at once. One that nobody stored in time is lost: this call then re-anchors it to the current
block (SeedRequested) and it is known two blocks later: run the command again then to store it
(a running node does both by itself). Without --kind, every seed the task asked for and has not
stored yet.

Options:
  --kind <kind>         seats, verifiers or jury (jury stores the verifier seed first)

${commonHelp("node")}

Example:
  omnitensor task fix-seed 3 --kind jury`;

type SeedState = "stored" | "not asked for" | "not known yet" | "lost" | "known";

/** What a seed of the task is at block `at` (the rule of PROTOCOL.md §4.1). */
export function seedState(t: TaskInfo, kind: SeedKindName, at: bigint): SeedState {
  const [seed, block] =
    kind === "seats"
      ? [t.seatSeed, t.seatSeedBlock]
      : kind === "verifiers"
        ? [t.verifierSeed, t.verifierSeedBlock]
        : [t.jurySeed, t.jurySeedBlock];
  if (BigInt(seed) !== 0n) return "stored";
  if (block === 0n) return "not asked for";
  if (at + 1n < block + 2n) return "not known yet";
  return at + 1n > block + 257n ? "lost" : "known";
}

function seedBlockOf(t: TaskInfo, kind: SeedKindName): bigint {
  return kind === "seats" ? t.seatSeedBlock : kind === "verifiers" ? t.verifierSeedBlock : t.jurySeedBlock;
}

/** What one fixSeed did, from the task before and after it. */
function describeAfter(before: TaskInfo, after: TaskInfo, kind: SeedKindName, block: bigint): string {
  if (seedState(after, kind, block) === "stored") return "stored";
  if (seedBlockOf(after, kind) !== seedBlockOf(before, kind))
    return `was lost: re-anchored to block ${block}; run this command again after block ${block + 1n} to store it`;
  return "not stored yet (the verifier seed is stored first): run this command again in two blocks";
}

function parseKinds(kind: string | undefined): SeedKindName[] {
  if (kind === undefined) return ["seats", "verifiers", "jury"];
  if (!(kind in SEED_KINDS)) throw new CliError(`--kind: "${kind}" must be seats, verifiers or jury`);
  return [kind as SeedKindName];
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, { kind: { type: "string" } }, help, true);
      const taskId = parseTaskId(positionals[0], help);
      const kinds = parseKinds(values.kind as string | undefined);
      const ctx = await connectCli(values, true, "node");
      const before = await getTask(ctx, taskId);
      const { blockNumber } = await chainNow(ctx);
      let sent = 0;
      for (const kind of kinds) {
        const state = seedState(before, kind, blockNumber);
        if (state !== "known" && state !== "lost") {
          console.log(
            `task ${taskId} ${kind} seed: ${state}${state === "not known yet" ? " (try again in a block or two)" : ""}`,
          );
          continue;
        }
        const receipt = await fixSeed(ctx, taskId, kind);
        sent++;
        const after = await getTask(ctx, taskId);
        console.log(`task ${taskId} ${kind} seed ${describeAfter(before, after, kind, receipt.blockNumber)}`);
        console.log(`  transaction: ${receipt.transactionHash}`);
      }
      if (sent > 0) console.log(`Next: omnitensor task status ${taskId}`);
      return 0;
    }),
};
export default command;
