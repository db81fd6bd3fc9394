import { isoTime } from "../options.ts";
import { proposalEta, sendProposal } from "./gov-lib.ts";
import { proposalStepCommand } from "./gov-step.ts";

export default proposalStepCommand({
  action: "queue",
  wanted: "Succeeded",
  about: `Queues a proposal that passed its vote in the timelock: it can be executed once the timelock's
delay has passed (its eta, printed here and by \`gov status\`). Anyone may queue a passed proposal.`,
  async take(ctx, { governor, id, content }) {
    const receipt = await sendProposal(ctx, governor, "queue", content);
    const eta = await proposalEta(ctx, governor, id);
    console.log(`proposal ${id} queued: executable from ${isoTime(eta)} (eta ${eta})`);
    console.log(`  next: omnitensor gov execute --id ${id}`);
    console.log(`  transaction: ${receipt.transactionHash}`);
  },
});
