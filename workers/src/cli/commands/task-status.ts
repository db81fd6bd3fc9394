import type { CliCommand } from "../types.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { getTask } from "../../sdk/tasks.ts";
import { COMMON_HELP, connectCli, isoTime, parseCli, parseTaskId, runCli } from "../options.ts";
import { chainNow } from "../../sdk/tasks.ts";

const help = `Usage: omnitensor task status <taskId> [--json]

Shows a task: its status (Seating, Verifying, Revealing, AwaitingFinalize, Finalized, Unresolved,
Cancelled), deadlines, seats, reveals, the tally and the accepted output hash. Reads only: no key
needed.

Options:
  --json                print the task as JSON

${COMMON_HELP}

Example:
  omnitensor task status 1`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, { json: { type: "boolean" } }, help, true);
      const taskId = parseTaskId(positionals[0], help);
      const ctx = await connectCli(values, false);
      const t = await getTask(ctx, taskId);
      if (values.json) {
        console.log(JSON.stringify(t, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
        return 0;
      }
      const { timestamp } = await chainNow(ctx);
      const when = (d: bigint) => `${isoTime(d)}${d > timestamp ? "" : " (passed)"}`;
      const lines = [
        `task ${taskId}: ${t.status}${t.disputed ? " (disputed)" : ""}`,
        `  requester:   ${t.requester}`,
        `  model:       ${t.modelId}`,
        `  input hash:  ${t.inputHash}`,
        `  reward:      ${formatOmnit(t.reward)} OMNIT, ${t.redundancy} seat(s) at ${formatOmnit(t.workerShare)} OMNIT each, bond ${formatOmnit(t.bond)} OMNIT`,
        `  created:     ${isoTime(t.createdAt)}`,
        `  seats until: ${when(t.seatDeadline)}`,
        `  disputes until: ${when(t.disputeDeadline)}`,
        `  reveals:     ${when(t.commitDeadline)} to ${when(t.revealDeadline)}`,
        `  seats:       ${t.seatHolders.length}/${t.redundancy}${t.seatHolders.length ? ` (${t.seatHolders.join(", ")})` : ""}`,
        `  verifiers:   ${t.committedVerifiers} committed${t.disputed ? `; jurors: ${t.committedJurors} committed` : ""}`,
        `  revealed:    ${t.revealedCount}; leading hash ${t.n > 0 ? `${t.leader} with ${t.n} vote(s), ${t.m} other(s)${t.tied ? ", tied" : ""}` : "none yet"}`,
      ];
      if (t.status === "Finalized")
        lines.push(
          `  accepted:    ${t.acceptedOutputHash}${t.delivered ? " (delivered)" : " (not delivered yet)"}`,
        );
      if (t.callback !== "0x0000000000000000000000000000000000000000")
        lines.push(`  callback:    ${t.callback} with ${t.callbackGasLimit} gas`);
      console.log(lines.join("\n"));
      return 0;
    }),
};
export default command;
