import { getAddress, parseAbi, type Address } from "viem";
import { omniGovernorAbi } from "../../chain/abis.ts";
import { sendTx, type OmniTensorContext } from "../../sdk/context.ts";
import { CliError, type CliCommand } from "../types.ts";
import { COMMON_HELP, connectCli, parseCli, runCli } from "../options.ts";
import {
  CONTENT_HELP,
  CONTENT_OPTIONS,
  GOVERNOR_ABI,
  contentFromOptions,
  describeCalls,
  descriptionHash,
  explainRevert,
  governanceOf,
  proposalId,
  votes,
  type ProposalContent,
} from "./gov-lib.ts";

const help = `Usage: omnitensor gov propose --target <contract> --call "<fn(types)>" [--args <v>]… --description <text>

Proposes one call for OMNIT holders to vote on and prints the proposal id. A passed proposal is
queued in the timelock (\`gov queue\`) and executed after its delay (\`gov execute\`); the call runs
as the timelock, which owns NodeStaking and TaskManager on every shared network. Proposing needs
the governor's proposal threshold in votes (delegated OMNIT: \`gov delegate\`). The setters keep
their bounds: a value out of bounds passes the vote but reverts at execution.

Options:
${CONTENT_HELP}

${COMMON_HELP}

Examples:
  omnitensor gov propose --target TaskManager --call "setRevealWindow(uint256)" --args 7200 \\
      --description "Reveal window: 2 hours"
  omnitensor gov propose --target TaskManager --call "spendPool(address,uint256)" \\
      --args 0xVerifier… --args 500000000000000000000 --description "Pay the canary verifier"`;

const ownerAbi = parseAbi(["function owner() view returns (address)"]);

/** Warns (stderr) about a target the timelock does not own: its onlyOwner call would revert at execution. */
async function warnOwnership(ctx: OmniTensorContext, p: ProposalContent, timelock: Address): Promise<void> {
  const { TaskManager, NodeStaking } = ctx.deployment.contracts;
  for (const [name, address] of [
    ["TaskManager", TaskManager],
    ["NodeStaking", NodeStaking],
  ] as const) {
    if (!p.targets.some((t) => getAddress(t) === address)) continue;
    const owner = await ctx.publicClient.readContract({ address, abi: ownerAbi, functionName: "owner" });
    if (owner !== timelock)
      console.error(
        `warning: ${name}'s owner is ${owner}, not the timelock ${timelock}: an owner-only call will revert at ` +
          `execution (a local deployment keeps the deployer as owner unless HANDOVER=1; docs/governance.md)`,
      );
  }
}

/** Refuses early when the proposer lacks the threshold (the governor checks votes at the previous block). */
async function checkThreshold(ctx: OmniTensorContext, governor: Address, me: Address): Promise<void> {
  const gov = { address: governor, abi: omniGovernorAbi } as const;
  const [threshold, clock] = await Promise.all([
    ctx.publicClient.readContract({ ...gov, functionName: "proposalThreshold" }),
    ctx.publicClient.readContract({ ...gov, functionName: "clock" }),
  ]);
  if (threshold === 0n) return;
  const mine = await ctx.publicClient.readContract({
    ...gov,
    functionName: "getVotes",
    args: [me, BigInt(clock) - 1n],
  });
  if (mine < threshold)
    throw new CliError(
      `proposing needs ${votes(threshold)} of votes; ${me} has ${votes(mine)}: hold enough OMNIT and ` +
        `delegate to yourself (omnitensor gov delegate), then propose from the next block`,
    );
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, CONTENT_OPTIONS, help);
      const ctx = await connectCli(values, true, "requester");
      const { governor, timelock } = governanceOf(ctx);
      const p = contentFromOptions(ctx, values, help);
      const id = await proposalId(ctx, governor, p);
      const gov = { address: governor, abi: omniGovernorAbi } as const;
      if (
        (await ctx.publicClient.readContract({ ...gov, functionName: "proposalSnapshot", args: [id] })) !== 0n
      )
        throw new CliError(
          `proposal ${id} (the same call and description) exists already: omnitensor gov status --id ${id}`,
        );
      await checkThreshold(ctx, governor, ctx.walletClient!.account.address);
      await warnOwnership(ctx, p, timelock);
      const receipt = await explainRevert("propose", () =>
        sendTx(ctx, {
          address: governor,
          abi: GOVERNOR_ABI,
          functionName: "propose",
          args: [p.targets, p.values, p.calldatas, p.description],
        }),
      );
      const [start, end] = await Promise.all([
        ctx.publicClient.readContract({ ...gov, functionName: "proposalSnapshot", args: [id] }),
        ctx.publicClient.readContract({ ...gov, functionName: "proposalDeadline", args: [id] }),
      ]);
      console.log(`proposal ${id}`);
      for (const c of describeCalls(ctx, p)) console.log(`  call: ${c}`);
      console.log(`  description: ${p.description} (hash ${descriptionHash(p.description)})`);
      console.log(`  voting: after block ${start} until block ${end} (now ${receipt.blockNumber})`);
      console.log(`  next: omnitensor gov vote --id ${id} --support for|against|abstain`);
      console.log(`  transaction: ${receipt.transactionHash}`);
      return 0;
    }),
};
export default command;
