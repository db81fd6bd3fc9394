import { CliError, type CliCommand } from "../types.ts";
import { dispute } from "../../sdk/actions.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { chainNow } from "../../sdk/tasks.ts";
import { COMMON_HELP, isoTime, runCli } from "../options.ts";
import { openTask } from "../task-command.ts";

const help = `Usage: omnitensor task dispute <taskId>

Disputes your task (as its requester or its disputer) after the seat window and before the
dispute deadline, typically because \`omnitensor task result\` shows outputs that disagree or
fail their checks. Escrows a bond equal to the reward (approving it first) and draws a jury;
PROTOCOL.md §4.6 and §6 say when the bond comes back.

${COMMON_HELP}

Example:
  omnitensor task result 3 && omnitensor task dispute 3`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { ctx, taskId, task: t, me } = await openTask(argv, help);
      if (t.requester.toLowerCase() !== me && t.disputer.toLowerCase() !== me)
        throw new CliError(
          `only the task's requester (${t.requester}) or its disputer may dispute task ${taskId}`,
        );
      if (t.disputed) throw new CliError(`task ${taskId} is already disputed`);
      const { timestamp } = await chainNow(ctx);
      if (timestamp >= t.disputeDeadline)
        throw new CliError(`task ${taskId}'s dispute deadline ${isoTime(t.disputeDeadline)} has passed`);
      if (t.status !== "Verifying")
        throw new CliError(
          `task ${taskId} is ${t.status}: a dispute is possible once the seats are filled or the seat window ends (${isoTime(t.seatDeadline)}), until ${isoTime(t.disputeDeadline)}`,
        );
      const receipt = await dispute(ctx, taskId);
      console.log(`task ${taskId} disputed: bond ${formatOmnit(t.reward)} OMNIT escrowed, a jury is drawn`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      console.log(
        `Next: omnitensor task status ${taskId}   (jurors commit until ${isoTime(t.commitDeadline)})`,
      );
      return 0;
    }),
};
export default command;
