import type { Address } from "viem";
import { CliError, type CliCommand } from "../types.ts";
import { cancel, omnitBalance } from "../../sdk/actions.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { chainNow } from "../../sdk/tasks.ts";
import { COMMON_HELP, isoTime, runCli } from "../options.ts";
import { openTask, refuseSettled } from "../task-command.ts";

const help = `Usage: omnitensor task cancel <taskId>

Cancels your task when no node took a seat by the end of the seat window: the escrowed reward
comes back to your account at once. Only the task's requester may cancel.

${COMMON_HELP}

Example:
  omnitensor task cancel 3`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { ctx, taskId, task: t, me } = await openTask(argv, help);
      if (t.requester.toLowerCase() !== me)
        throw new CliError(
          `task ${taskId} was created by ${t.requester}, not by ${me}: only its requester may cancel it`,
        );
      refuseSettled(taskId, t);
      if (t.seatHolders.length > 0)
        throw new CliError(
          `task ${taskId} has ${t.seatHolders.length} seat(s) taken: it cannot be cancelled`,
        );
      const { timestamp } = await chainNow(ctx);
      if (timestamp < t.seatDeadline)
        throw new CliError(
          `task ${taskId}'s seats are open until ${isoTime(t.seatDeadline)}: cancel after that if no node takes one`,
        );
      const before = await omnitBalance(ctx, me as Address);
      const receipt = await cancel(ctx, taskId);
      const after = await omnitBalance(ctx, me as Address);
      console.log(
        `task ${taskId} cancelled: ${formatOmnit(after - before)} OMNIT came back to ${ctx.walletClient!.account.address}`,
      );
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
