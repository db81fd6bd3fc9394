import { CliError, type CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, isoTime, parseCli, runCli } from "../options.ts";
import {
  CONTENT_HELP,
  CONTENT_OPTIONS,
  describeCalls,
  proposalEta,
  proposalFor,
  sendProposal,
} from "./gov-lib.ts";

const help = `Usage: omnitensor gov execute (--id <proposalId> | <the propose options>)

Executes a queued proposal once its eta has passed: the timelock makes the proposal's call.
Anyone may execute. The call keeps its own checks: a parameter out of the setter's bounds (or a
spendPool beyond the pool) reverts here, with the contract's error, and the proposal stays Queued.
Name it by --id, or by the same --target, --call, --args and --description as \`gov propose\`.

Options:
  --id <proposalId>     the id \`gov propose\` printed (its content is read from the chain)
${CONTENT_HELP}

${COMMON_HELP}

Example:
  omnitensor gov execute --id 1234…`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, { id: { type: "string" }, ...CONTENT_OPTIONS }, help);
      const ctx = await connectCli(values, true, "requester");
      const { governor, id, content: p } = await proposalFor(ctx, values, help, "Queued", "execute");
      const eta = await proposalEta(ctx, governor, id);
      const { timestamp } = await ctx.publicClient.getBlock();
      if (timestamp < eta)
        throw new CliError(
          `proposal ${id} is queued until ${isoTime(eta)} (${eta - timestamp} s from the last block): execute it then`,
        );
      const receipt = await sendProposal(ctx, governor, "execute", p);
      console.log(`proposal ${id} executed`);
      for (const c of describeCalls(ctx, p)) console.log(`  call: ${c}`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
