import type { CliCommand } from "../types.ts";
import { nodeStakingAbi, taskManagerAbi } from "../../chain/abis.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { COMMON_HELP, connectCli, parseCli, runCli } from "../options.ts";

const help = `Usage: omnitensor deployment show [--json]

Shows the OmniTensor deployment on the RPC's chain: the contract addresses (from
deployments/<chainId>.json or the environment), the block to scan from, the TaskManager and
NodeStaking parameters, and how many nodes are active.

Options:
  --json                print as JSON

${COMMON_HELP}

Example:
  omnitensor deployment show --rpc http://127.0.0.1:8545`;

const TM_PARAMS = [
  "seatWindow",
  "verifyWindow",
  "disputeWindow",
  "commitWindow",
  "revealWindow",
  "jurySize",
  "seatStep",
  "seatFactor",
  "expectedVerifiers",
  "minCommitBond",
  "bondMultiplier",
  "slashBps",
  "noRevealSlashBps",
  "liquidatorBountyBps",
  "verifierFeeBps",
  "maxRedundancy",
  "maxCallbackGas",
  "minReward",
] as const;
const AMOUNTS = new Set(["minCommitBond", "minReward", "minStake", "verificationPool"]);
const SECONDS = new Set([
  "seatWindow",
  "verifyWindow",
  "disputeWindow",
  "commitWindow",
  "revealWindow",
  "seatStep",
  "unbondingPeriod",
]);

function show(name: string, v: bigint): string {
  if (AMOUNTS.has(name)) return `${formatOmnit(v)} OMNIT`;
  if (SECONDS.has(name)) return `${v} s (${(Number(v) / 3600).toFixed(2).replace(/\.?0+$/, "")} h)`;
  return v.toString();
}

const command: CliCommand = {
  help,
  run: (argv) =>
    runCli(async () => {
      const { values } = parseCli(argv, { json: { type: "boolean" } }, help);
      const ctx = await connectCli(values, false);
      const pc = ctx.publicClient;
      const tm = { address: ctx.deployment.contracts.TaskManager, abi: taskManagerAbi } as const;
      const ns = { address: ctx.deployment.contracts.NodeStaking, abi: nodeStakingAbi } as const;
      const params: Record<string, bigint> = {};
      for (const name of TM_PARAMS) params[name] = await pc.readContract({ ...tm, functionName: name });
      params.verificationPool = await pc.readContract({ ...tm, functionName: "verificationPool" });
      params.minStake = await pc.readContract({ ...ns, functionName: "minStake" });
      params.unbondingPeriod = await pc.readContract({ ...ns, functionName: "unbondingPeriod" });
      const counts = {
        activeNodes: await pc.readContract({ ...ns, functionName: "activeNodeCount" }),
        activeCompute: await pc.readContract({ ...ns, functionName: "activeComputeCount" }),
        activeValidators: await pc.readContract({ ...ns, functionName: "activeValidatorCount" }),
        tasks: await pc.readContract({ ...tm, functionName: "taskCount" }),
      };
      if (values.json) {
        const out = { ...ctx.deployment, parameters: params, counts };
        console.log(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
        return 0;
      }
      const lines = [
        `OmniTensor on chain ${ctx.deployment.chainId} (scan from block ${ctx.deployment.startBlock})`,
      ];
      for (const [name, addr] of Object.entries(ctx.deployment.contracts))
        lines.push(`  ${name.padEnd(14)} ${addr}`);
      lines.push("parameters:");
      for (const [name, v] of Object.entries(params)) lines.push(`  ${name.padEnd(20)} ${show(name, v)}`);
      lines.push(
        `nodes: ${counts.activeNodes} active (${counts.activeCompute} compute, ${counts.activeValidators} validator); tasks: ${counts.tasks}`,
      );
      console.log(lines.join("\n"));
      return 0;
    }),
};
export default command;
