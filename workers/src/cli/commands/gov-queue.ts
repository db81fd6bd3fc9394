import type { CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, isoTime, parseCli, runCli } from "../options.ts";
import { CONTENT_HELP, CONTENT_OPTIONS, proposalEta, proposalFor, sendProposal } from "./gov-lib.ts";

const help = `Usage: omnitensor gov queue (--id <proposalId> | <the propose options>)

Queues a proposal that passed its vote in the timelock: it can be executed once the timelock's
delay has passed (its eta, printed here and by \`gov status\`). Anyone may queue a passed proposal.
Name it by --id, or by the same --target, --call, --args and --description as \`gov propose\`.

Options:
  --id <proposalId>     the id \`gov propose\` printed (its content is read from the chain)
${CONTENT_HELP}

${COMMON_HELP}

Example:
  omnitensor gov queue --id 1234…`;

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, { id: { type: "string" }, ...CONTENT_OPTIONS }, help);
      const ctx = await connectCli(values, true, "requester");
      const { governor, id, content } = await proposalFor(ctx, values, help, "Succeeded", "queue");
      const receipt = await sendProposal(ctx, governor, "queue", content);
      const eta = await proposalEta(ctx, governor, id);
      console.log(`proposal ${id} queued: executable from ${isoTime(eta)} (eta ${eta})`);
      console.log(`  next: omnitensor gov execute --id ${id}`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
