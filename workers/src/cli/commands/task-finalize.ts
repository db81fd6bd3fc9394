import { CliError, type CliCommand } from "../types.ts";
import { finalize } from "../../sdk/actions.ts";
import { chainNow, getTask } from "../../sdk/tasks.ts";
import { COMMON_HELP, isoTime, runCli } from "../options.ts";
import { openTask, refuseSettled } from "../task-command.ts";

const help = `Usage: omnitensor task finalize <taskId>

Applies the consensus rule once the task's reveal deadline has passed (anyone may; nodes and
\`task create --wait\` do it too): the task becomes Finalized (an output accepted) or Unresolved
(refunds credited: withdraw with \`omnitensor task result <taskId> --withdraw\`).

${COMMON_HELP}

Example:
  omnitensor task finalize 3`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { ctx, taskId, task: t } = await openTask(argv, help);
      if (t.status !== "AwaitingFinalize") {
        refuseSettled(taskId, t);
        const { timestamp } = await chainNow(ctx);
        throw new CliError(
          `task ${taskId} is ${t.status}: finalize after the reveal deadline ${isoTime(t.revealDeadline)}${timestamp < t.revealDeadline ? "" : " (passed)"}`,
        );
      }
      const receipt = await finalize(ctx, taskId);
      const after = await getTask(ctx, taskId);
      console.log(
        `task ${taskId} ${after.status}${after.status === "Finalized" ? `: output ${after.acceptedOutputHash} accepted (${after.n} votes, ${after.m} others)` : ""}`,
      );
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
