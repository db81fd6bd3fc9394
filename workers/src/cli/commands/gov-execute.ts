import { CliError } from "../types.ts";
import { isoTime } from "../options.ts";
import { describeCalls, proposalEta, sendProposal } from "./gov-lib.ts";
import { proposalStepCommand } from "./gov-step.ts";

export default proposalStepCommand({
  action: "execute",
  wanted: "Queued",
  about: `Executes a queued proposal once its eta has passed: the timelock makes the proposal's call.
Anyone may execute. The call keeps its own checks: a parameter out of the setter's bounds (or a
spendPool beyond the pool) reverts here, with the contract's error, and the proposal stays Queued.`,
  async take(ctx, { governor, id, content: p }) {
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
  },
});
