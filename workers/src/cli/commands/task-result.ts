import type { CliCommand } from "../types.ts";
import { PLACE_NAME, type Place } from "../../protocol/constants.ts";
import { withdraw } from "../../sdk/actions.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { defaultKeyDir, loadResultKey } from "../../sdk/keystore.ts";
import { getTask } from "../../sdk/tasks.ts";
import { readCommitments } from "../../sdk/watchCommitments.ts";
import { describeDisputeReasons, disputeReasons } from "../../sdk/waitForResult.ts";
import { COMMON_HELP, connectCli, parseCli, parseTaskId, runCli } from "../options.ts";

const help = `Usage: omnitensor task result <taskId> [--withdraw] [--key-dir <dir>]

Opens the nodes' sealed outputs with the task's saved result key, checks each against the node's
commitment, and prints them; once the task is Finalized, prints the accepted output. Works as soon
as nodes commit (seconds after they run the model), long before the reveal phase.

Options:
  --withdraw            also withdraw your credit (refunds of an Unresolved task, unpaid seats,
                        a returned dispute bond); needs the key
  --key-dir <dir>       where result keys are kept (default: $OMNITENSOR_HOME or ~/.omnitensor)

${COMMON_HELP}

Example:
  omnitensor task result 1`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values, positionals } = parseCli(
        argv,
        { withdraw: { type: "boolean" }, "key-dir": { type: "string" } },
        help,
        true,
      );
      const taskId = parseTaskId(positionals[0], help);
      const ctx = await connectCli(values, values.withdraw ?? false, "requester");
      const t = await getTask(ctx, taskId);
      const key = await loadResultKey(values["key-dir"] ?? defaultKeyDir(), ctx.deployment.chainId, taskId);
      const reports = await readCommitments(ctx, { taskId, resultPrivateKey: key.privateKey });
      console.log(
        `task ${taskId}: ${t.status}${t.disputed ? " (disputed)" : ""}, ${reports.length} commitment(s)`,
      );
      for (const r of reports) {
        const place = PLACE_NAME[r.place as Place] ?? String(r.place);
        console.log(
          `  ${r.node} (${place}): ${r.ok ? `ok  ${r.outputHash}  ${r.canonicalText}` : `PROBLEM ${r.problem}`}`,
        );
      }
      const reasons = disputeReasons(reports);
      if (reasons.length > 0) {
        console.log(
          "  the outputs DISAGREE or fail their checks: you may dispute before the dispute deadline (see omnitensor task status)",
        );
        for (const r of reasons) console.log(`    ${describeDisputeReasons([r])}`);
      } else if (reports.length > 1) console.log("  all outputs agree");
      if (t.status === "Finalized") {
        const accepted = reports.find((r) => r.ok && r.outputHash === t.acceptedOutputHash);
        console.log(
          `accepted output (${t.acceptedOutputHash}): ${accepted?.canonicalText ?? "(not among the outputs sealed to your key)"}`,
        );
      } else if (t.status === "Unresolved") {
        console.log(
          "no output was accepted (Unresolved): what you are owed is credited; withdraw it with --withdraw",
        );
      }
      if (values.withdraw) {
        const { amount } = await withdraw(ctx);
        console.log(amount > 0n ? `withdrew ${formatOmnit(amount)} OMNIT` : "nothing to withdraw");
      }
      return 0;
    }),
};
export default command;
