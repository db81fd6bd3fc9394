import { CliError, type CliCommand } from "../types.ts";
import { revealLateNodes } from "../../sdk/actions.ts";
import { defaultKeyDir, loadResultKey } from "../../sdk/keystore.ts";
import { chainNow, getTask } from "../../sdk/tasks.ts";
import { COMMON_HELP, connectCli, isoTime, parseCli, parseTaskId, runCli } from "../options.ts";

const help = `Usage: omnitensor task reveal <taskId> [--key-dir <dir>]

In the reveal window, reveals the commitments of nodes that have not revealed yet, from their
sealed outputs opened with the task's saved result key (anyone may reveal for a node; only the
requester can open its outputs). A node that does not reveal is slashed, and its vote is lost
to the tally: revealing for it keeps the result. \`task create --wait\` does this by itself.

Options:
  --key-dir <dir>       where result keys are kept (default: $OMNITENSOR_HOME or ~/.omnitensor)

${COMMON_HELP}

Example:
  omnitensor task reveal 3`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(argv, { "key-dir": { type: "string" } }, help, true);
      const taskId = parseTaskId(positionals[0], help);
      const ctx = await connectCli(values, true, "requester");
      const t = await getTask(ctx, taskId);
      const { timestamp } = await chainNow(ctx);
      if (t.status !== "Revealing")
        throw new CliError(
          timestamp < t.commitDeadline
            ? `task ${taskId} is ${t.status}: reveals open at ${isoTime(t.commitDeadline)}`
            : `task ${taskId} is ${t.status}: the reveal window (until ${isoTime(t.revealDeadline)}) is over`,
        );
      const key = await loadResultKey(values["key-dir"] ?? defaultKeyDir(), ctx.deployment.chainId, taskId);
      const done = await revealLateNodes(ctx, taskId, key.privateKey);
      for (const r of done)
        console.log(
          `  ${r.node}: ${r.outcome === "revealed" ? "revealed now" : r.outcome === "already" ? "already revealed" : "sealed output did not open or check: cannot reveal for it"}`,
        );
      const n = done.filter((r) => r.outcome === "revealed").length;
      console.log(`task ${taskId}: revealed ${n} late commitment(s) of ${done.length}`);
      return 0;
    }),
};
export default command;
