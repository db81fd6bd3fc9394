/**
 * What `gov queue` and `gov execute` share: the help around their own text, and a command that
 * names the proposal by --id or by its content, connects as the signer and refuses a proposal
 * that is not in the state the step needs, before the step's own work.
 */
import type { Address } from "viem";
import type { CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, parseCli, runCli } from "../options.ts";
import type { OmniTensorContext } from "../../sdk/context.ts";
import { CONTENT_HELP, CONTENT_OPTIONS, proposalFor, type ProposalContent } from "./gov-lib.ts";

/** A step of a proposal's life after its vote. */
export interface ProposalStep {
  action: "queue" | "execute";
  /** The state the proposal must be in. */
  wanted: "Succeeded" | "Queued";
  /** What the command does (help text, after the usage line). */
  about: string;
  /** Takes the step on the proposal found, prints what it did. */
  take(
    ctx: OmniTensorContext,
    found: { governor: Address; id: bigint; content: ProposalContent },
  ): Promise<void>;
}

/** The command `gov <step.action>`. */
export function proposalStepCommand(step: ProposalStep): CliCommand {
  const help = `Usage: omnitensor gov ${step.action} (--id <proposalId> | <the propose options>)

${step.about}
Name it by --id, or by the same --target, --call, --args and --description as \`gov propose\`.

Options:
  --id <proposalId>     the id \`gov propose\` printed (its content is read from the chain)
${CONTENT_HELP}

${COMMON_HELP}

Example:
  omnitensor gov ${step.action} --id 1234…`;
  return {
    help,
    run: (argv) =>
      runCli(async () => {
        const { values } = parseCli(argv, { id: { type: "string" }, ...CONTENT_OPTIONS }, help);
        const ctx = await connectCli(values, true, "requester");
        await step.take(ctx, await proposalFor(ctx, values, help, step.wanted, step.action));
        return 0;
      }),
  };
}
