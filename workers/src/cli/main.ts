/**
 * The `omnitensor` dispatcher: an explicit command table (no directory scan). Listing the
 * commands loads no command file; a command's file (and whatever it imports) is loaded only when
 * that command runs or prints its `--help`.
 */
import { CliError, type CliCommand } from "./types.ts";

interface CommandEntry {
  /** The command's words, e.g. ["task", "create"]. */
  words: readonly string[];
  summary: string;
  load: () => Promise<{ default: CliCommand }>;
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    words: ["deployment", "show"],
    summary: "show the contract addresses, parameters and active node counts of this chain",
    load: () => import("./commands/deployment-show.ts"),
  },
  {
    words: ["model", "check"],
    summary: "check a model spec against the model's inputs and outputs; list every problem",
    load: () => import("./commands/model-check.ts"),
  },
  {
    words: ["model", "register"],
    summary: "register an ONNX model and its spec; prints the model id",
    load: () => import("./commands/model-register.ts"),
  },
  {
    words: ["infer"],
    summary: "run one task input through a model and print its canonical result and outputHash",
    load: () => import("./commands/infer.ts"),
  },
  {
    words: ["task", "create"],
    summary: "open an inference task (escrows the reward); --wait follows it to the result",
    load: () => import("./commands/task-create.ts"),
  },
  {
    words: ["task", "status"],
    summary: "show a task's status, deadlines, seats, reveals and tally",
    load: () => import("./commands/task-status.ts"),
  },
  {
    words: ["task", "result"],
    summary: "decrypt and check the nodes' outputs of your task; print the accepted result",
    load: () => import("./commands/task-result.ts"),
  },
  {
    words: ["task", "dispute"],
    summary: "dispute your task when its outputs disagree (escrows a bond equal to the reward)",
    load: () => import("./commands/task-dispute.ts"),
  },
  {
    words: ["task", "reveal"],
    summary: "reveal the nodes' commitments that are late, from their sealed outputs",
    load: () => import("./commands/task-reveal.ts"),
  },
  {
    words: ["task", "finalize"],
    summary: "finalize a task after its reveal deadline (anyone)",
    load: () => import("./commands/task-finalize.ts"),
  },
  {
    words: ["task", "fix-seed"],
    summary: "store a task's seeds that are known, or re-anchor one that was lost (anyone)",
    load: () => import("./commands/task-fix-seed.ts"),
  },
  {
    words: ["task", "cancel"],
    summary: "cancel your task that no node took; the escrow comes back at once",
    load: () => import("./commands/task-cancel.ts"),
  },
  {
    words: ["node", "run"],
    summary: "run the node service (compute and/or validator duties); alias: worker",
    load: () => import("./commands/node-run.ts"),
  },
  {
    words: ["node", "stake"],
    summary: "stake OMNIT as a compute and/or validator node (register or top up)",
    load: () => import("./commands/node-stake.ts"),
  },
  {
    words: ["node", "status"],
    summary: "show a node's stake, bonds, roles, unbonding and credit",
    load: () => import("./commands/node-status.ts"),
  },
  {
    words: ["node", "unstake"],
    summary: "start unbonding stake (--amount) or withdraw what finished unbonding (--withdraw)",
    load: () => import("./commands/node-unstake.ts"),
  },
  {
    words: ["token", "balance"],
    summary: "show an account's OMNIT and native-coin balances",
    load: () => import("./commands/token-balance.ts"),
  },
  {
    words: ["token", "transfer"],
    summary: "send OMNIT to an address (e.g. to fund a node key)",
    load: () => import("./commands/token-transfer.ts"),
  },
  {
    words: ["gov", "delegate"],
    summary: "delegate your OMNIT votes (to yourself by default): OMNIT votes only once delegated",
    load: () => import("./commands/gov-delegate.ts"),
  },
  {
    words: ["gov", "propose"],
    summary: "propose a call (e.g. a TaskManager setter) for OMNIT holders to vote on; prints its id",
    load: () => import("./commands/gov-propose.ts"),
  },
  {
    words: ["gov", "vote"],
    summary: "vote for, against or abstain on an active proposal",
    load: () => import("./commands/gov-vote.ts"),
  },
  {
    words: ["gov", "queue"],
    summary: "queue a passed proposal in the timelock",
    load: () => import("./commands/gov-queue.ts"),
  },
  {
    words: ["gov", "execute"],
    summary: "execute a queued proposal once the timelock's delay has passed",
    load: () => import("./commands/gov-execute.ts"),
  },
  {
    words: ["gov", "status"],
    summary: "show governance (owners, parameters) or one proposal's state, votes and eta",
    load: () => import("./commands/gov-status.ts"),
  },
  {
    words: ["dev", "faucet"],
    summary: "local chains only: give an address gas and OMNIT from the treasury",
    load: () => import("./commands/dev-faucet.ts"),
  },
  {
    words: ["dev", "advance"],
    summary: "local chains only: move the chain's clock forward (e.g. 5h) and mine a block",
    load: () => import("./commands/dev-advance.ts"),
  },
];

/** Old names kept working: the first words of argv are replaced by the new ones. */
const ALIASES: Readonly<Record<string, readonly string[]>> = { worker: ["node", "run"] };

export function usage(): string {
  const lines = [
    "Usage: omnitensor <command> [options]   (omnitensor <command> --help for details)",
    "",
    "Commands:",
  ];
  for (const c of COMMANDS) lines.push(`  ${c.words.join(" ").padEnd(22)} ${c.summary}`);
  lines.push(
    "",
    "Keys: requester commands sign with --key, else $REQUESTER_PRIVATE_KEY, else $PRIVATE_KEY;",
    "node commands with --key, else $NODE_PRIVATE_KEY, else $PRIVATE_KEY. Each prints the address it signs as.",
  );
  return lines.join("\n");
}

/** The table entry named by the first words of argv, and the arguments after them. */
export function findCommand(argv: readonly string[]): { entry: CommandEntry; rest: string[] } | undefined {
  const alias = ALIASES[argv[0]];
  const args = alias ? [...alias, ...argv.slice(1)] : [...argv];
  for (const entry of COMMANDS)
    if (entry.words.every((w, i) => args[i] === w)) return { entry, rest: args.slice(entry.words.length) };
  return undefined;
}

/** Finds the command named by the first words of argv, runs it, returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(usage());
    return argv.length === 0 ? 1 : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    console.error(`omnitensor: unknown command "${argv.slice(0, 2).join(" ")}"\n`);
    console.error(usage());
    return 2;
  }
  const name = found.entry.words.join(" ");
  const cmd = (await found.entry.load()).default;
  if (found.rest.includes("--help") || found.rest.includes("-h")) {
    console.log(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(found.rest);
  } catch (err) {
    if (err instanceof CliError) {
      console.error(`omnitensor ${name}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
