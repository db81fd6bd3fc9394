/**
 * Shared by the `omnitensor gov …` commands (not a command itself): the governor and timelock of
 * the deployment, one proposal's content (a target contract, a function signature and its
 * arguments, a description) or its id, the proposal's state, and turning a revert inside the
 * proposal's call into a readable error. docs/governance.md walks through the commands.
 */
import {
  encodeFunctionData,
  decodeFunctionData,
  getAddress,
  isAddress,
  keccak256,
  parseAbiItem,
  toHex,
  type Abi,
  type AbiFunction,
  type Address,
  type Hex,
} from "viem";
import {
  modelRegistryAbi,
  nodeStakingAbi,
  omniGovernorAbi,
  omniTokenAbi,
  taskManagerAbi,
  timelockControllerAbi,
} from "../../chain/abis.ts";
import { ContractRevertError } from "../../sdk/errors.ts";
import { sendTx, type OmniTensorContext } from "../../sdk/context.ts";
import { formatOmnit } from "../../sdk/amounts.ts";
import { CliError } from "../types.ts";

/** The governor's ProposalState, by index (OpenZeppelin IGovernor). */
export const STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
] as const;
export type ProposalStateName = (typeof STATES)[number];

/** GovernorCountingSimple's support values. */
export const SUPPORT = { against: 0, for: 1, abstain: 2 } as const;

/** The ABIs of the contracts a proposal can name by name. */
const KNOWN: Record<string, Abi> = {
  TaskManager: taskManagerAbi,
  NodeStaking: nodeStakingAbi,
  OmniToken: omniTokenAbi,
  ModelRegistry: modelRegistryAbi,
  OmniGovernor: omniGovernorAbi,
  TimelockController: timelockControllerAbi,
};

/** The governor's ABI with the timelock's errors (a revert in the timelock is decoded by name too). */
type TimelockError = Extract<(typeof timelockControllerAbi)[number], { type: "error" }>;
export const GOVERNOR_ABI = [
  ...omniGovernorAbi,
  ...timelockControllerAbi.filter((x): x is TimelockError => x.type === "error"),
] as const;

/** The options that name a proposal by its content (propose; queue and execute without --id). */
export const CONTENT_OPTIONS = {
  target: { type: "string" },
  call: { type: "string" },
  args: { type: "string", multiple: true },
  description: { type: "string" },
} as const;

export const CONTENT_HELP = `  --target <name|0x…>   the contract to call: TaskManager, NodeStaking, OmniToken, ModelRegistry,
                        OmniGovernor, TimelockController, or an address
  --call "<fn(types)>"  the function's signature, e.g. "setRevealWindow(uint256)"
  --args <value>        one argument (repeat in order: --args 0x… --args 100); integers in
                        base units (wei, seconds), addresses or contract names, true/false, 0x… bytes
  --description <text>  the proposal's text (its hash is part of the proposal id)`;

/** The governor and timelock of the deployment, or what to do when the deployment has none. */
export function governanceOf(ctx: OmniTensorContext): { governor: Address; timelock: Address } {
  const { OmniGovernor, TimelockController } = ctx.deployment.contracts;
  if (!OmniGovernor || !TimelockController)
    throw new CliError(
      `the deployment of chain ${ctx.deployment.chainId} names no OmniGovernor/TimelockController: redeploy ` +
        `(npm run deploy) or set OMNI_GOVERNOR and TIMELOCK_CONTROLLER`,
    );
  return { governor: OmniGovernor, timelock: TimelockController };
}

/** A proposal's content: parallel arrays of calls and the description. */
export interface ProposalContent {
  targets: Address[];
  values: bigint[];
  calldatas: Hex[];
  description: string;
}

/** The address of a contract name of the deployment, or an address. */
function addressOf(
  ctx: OmniTensorContext,
  field: string,
  value: string,
): { address: Address; name?: string } {
  const contracts = ctx.deployment.contracts as Record<string, Address | undefined>;
  const name = Object.keys(contracts).find((n) => n.toLowerCase() === value.toLowerCase());
  if (name && contracts[name]) return { address: contracts[name]!, name };
  if (isAddress(value, { strict: false })) return { address: getAddress(value) };
  throw new CliError(
    `${field}: "${value}" is neither an address nor one of ${Object.keys(contracts).join(", ")}`,
  );
}

/** One argument from the command line, by its ABI type. */
function parseArg(ctx: OmniTensorContext, type: string, raw: string, field: string): unknown {
  if (/^u?int\d*$/.test(type)) {
    if (!/^-?\d+$/.test(raw) && !/^0x[0-9a-fA-F]+$/.test(raw))
      throw new CliError(`${field}: "${raw}" is not an integer (${type}; base units: wei, seconds)`);
    const v = BigInt(raw);
    if (type.startsWith("uint") && v < 0n) throw new CliError(`${field}: ${type} cannot be negative`);
    return v;
  }
  if (type === "address") return addressOf(ctx, field, raw).address;
  if (type === "bool") {
    if (raw !== "true" && raw !== "false") throw new CliError(`${field}: "${raw}" is not true or false`);
    return raw === "true";
  }
  if (/^bytes\d*$/.test(type)) {
    if (!/^0x([0-9a-fA-F]{2})*$/.test(raw)) throw new CliError(`${field}: "${raw}" is not 0x… bytes`);
    return raw as Hex;
  }
  if (type === "string") return raw;
  throw new CliError(`${field}: arguments of type ${type} are not supported by the CLI`);
}

/** The function of `call` ("name(types)"), checked against the target's ABI when the target is known. */
function functionOf(call: string, targetName: string | undefined): AbiFunction {
  let item: AbiFunction;
  try {
    item = parseAbiItem(`function ${call.trim()}`) as AbiFunction;
  } catch {
    throw new CliError(`--call: "${call}" is not a function signature such as "setRevealWindow(uint256)"`);
  }
  const abi = targetName ? KNOWN[targetName] : undefined;
  if (!abi) return item;
  const sig = (f: AbiFunction) => `${f.name}(${f.inputs.map((i) => i.type).join(",")})`;
  const fns = abi.filter((x): x is AbiFunction => x.type === "function");
  if (!fns.some((f) => sig(f) === sig(item))) {
    const same = fns.filter((f) => f.name === item.name).map(sig);
    throw new CliError(
      `--call: ${targetName} has no function ${sig(item)}${same.length ? ` (it has ${same.join(", ")})` : ""}`,
    );
  }
  return item;
}

/** A one-call proposal from --target, --call, --args and --description. */
export function contentFromOptions(
  ctx: OmniTensorContext,
  values: { target?: string; call?: string; args?: string[]; description?: string },
  help: string,
): ProposalContent {
  for (const f of ["target", "call", "description"] as const)
    if (!values[f])
      throw new CliError(`--${f} is required (or --id where the command takes it)\n\n${help}`, 2);
  const target = addressOf(ctx, "--target", values.target!);
  const fn = functionOf(values.call!, target.name);
  const raw = values.args ?? [];
  if (raw.length !== fn.inputs.length)
    throw new CliError(`--args: ${fn.name} takes ${fn.inputs.length} argument(s), ${raw.length} given`);
  const args = fn.inputs.map((input, i) =>
    parseArg(ctx, input.type, raw[i], `--args #${i + 1} (${input.name || input.type})`),
  );
  const calldata = encodeFunctionData({ abi: [fn], functionName: fn.name, args });
  return { targets: [target.address], values: [0n], calldatas: [calldata], description: values.description! };
}

/** keccak256 of the description: the governor's descriptionHash. */
export function descriptionHash(description: string): Hex {
  return keccak256(toHex(description));
}

/** The proposal id the governor gives this content. */
export async function proposalId(
  ctx: OmniTensorContext,
  governor: Address,
  p: ProposalContent,
): Promise<bigint> {
  return ctx.publicClient.readContract({
    address: governor,
    abi: omniGovernorAbi,
    functionName: "hashProposal",
    args: [p.targets, p.values, p.calldatas, descriptionHash(p.description)],
  });
}

/** Parses --id (a proposal id: a decimal or 0x integer). */
export function parseProposalId(raw: string): bigint {
  if (!/^\d+$/.test(raw) && !/^0x[0-9a-fA-F]+$/.test(raw))
    throw new CliError(`--id: "${raw}" is not a proposal id (the number gov propose printed)`);
  return BigInt(raw);
}

const LOG_CHUNK = 10_000n;

/** The ProposalCreated event of `id` (content and description), searched back from its snapshot. */
export async function findProposal(
  ctx: OmniTensorContext,
  governor: Address,
  id: bigint,
): Promise<ProposalContent> {
  const snapshot = await ctx.publicClient.readContract({
    address: governor,
    abi: omniGovernorAbi,
    functionName: "proposalSnapshot",
    args: [id],
  });
  if (snapshot === 0n) throw new CliError(`there is no proposal ${id} on the governor ${governor}`);
  const event = omniGovernorAbi.find((x) => x.type === "event" && x.name === "ProposalCreated")!;
  const floor = BigInt(ctx.deployment.startBlock);
  for (let to = snapshot; to >= floor; to -= LOG_CHUNK) {
    const from = to - LOG_CHUNK + 1n > floor ? to - LOG_CHUNK + 1n : floor;
    const logs = await ctx.publicClient.getLogs({ address: governor, event, fromBlock: from, toBlock: to });
    const log = logs.find((l) => l.args.proposalId === id);
    if (log) {
      const a = log.args;
      return {
        targets: [...a.targets!],
        values: [...a.values!],
        calldatas: [...a.calldatas!],
        description: a.description!,
      };
    }
    if (from === floor) break;
  }
  throw new CliError(`proposal ${id} exists but its ProposalCreated event was not found from block ${floor}`);
}

/** The proposal named by --id, or by its content (--target, --call, --args, --description). */
export async function resolveProposal(
  ctx: OmniTensorContext,
  governor: Address,
  values: { id?: string; target?: string; call?: string; args?: string[]; description?: string },
  help: string,
): Promise<{ id: bigint; content: ProposalContent }> {
  if (values.id !== undefined) {
    const id = parseProposalId(values.id);
    return { id, content: await findProposal(ctx, governor, id) };
  }
  const content = contentFromOptions(ctx, values, help);
  return { id: await proposalId(ctx, governor, content), content };
}

/** The proposal's state by name; a proposal the governor does not know is an error. */
export async function stateOf(
  ctx: OmniTensorContext,
  governor: Address,
  id: bigint,
): Promise<ProposalStateName> {
  try {
    const s = await ctx.publicClient.readContract({
      address: governor,
      abi: omniGovernorAbi,
      functionName: "state",
      args: [id],
    });
    return STATES[s];
  } catch {
    throw new CliError(
      `there is no proposal ${id} on the governor ${governor} (check --id, or the exact --description)`,
    );
  }
}

/** "TaskManager.setRevealWindow(7200)" for each call (decoded where the target is a known contract). */
export function describeCalls(ctx: OmniTensorContext, p: ProposalContent): string[] {
  const contracts = ctx.deployment.contracts as Record<string, Address | undefined>;
  return p.targets.map((t, i) => {
    const name = Object.keys(contracts).find((n) => contracts[n] === getAddress(t));
    const abi = name ? KNOWN[name] : undefined;
    const value = p.values[i] ? ` {value: ${p.values[i]}}` : "";
    if (abi)
      try {
        const { functionName, args } = decodeFunctionData({ abi, data: p.calldatas[i] });
        return `${name}.${functionName}(${(args ?? []).map(String).join(", ")})${value}`;
      } catch {
        /* not one of its functions: show the raw call */
      }
    return `${name ?? t} calldata ${p.calldatas[i]}${value}`;
  });
}

/**
 * Runs a send (sendTx with GOVERNOR_ABI); a revert, decoded by name whether it is the governor's,
 * the timelock's or the proposal target's own error, becomes a CliError that shows its arguments.
 */
export async function explainRevert<T>(functionName: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (e instanceof ContractRevertError && e.errorName)
      throw new CliError(
        `${functionName} would revert: ${e.errorName}(${e.errorArgs.map(String).join(", ")})`,
      );
    throw e;
  }
}

/** OMNIT for votes: "50000000 OMNIT". */
export function votes(wei: bigint): string {
  return `${formatOmnit(wei)} OMNIT`;
}

/** The tally and quorum of a proposal (quorum at its snapshot; for + abstain count towards it). */
export async function tallyOf(ctx: OmniTensorContext, governor: Address, id: bigint) {
  const gov = { address: governor, abi: omniGovernorAbi } as const;
  const [[against, forVotes, abstain], snapshot, deadline] = await Promise.all([
    ctx.publicClient.readContract({ ...gov, functionName: "proposalVotes", args: [id] }),
    ctx.publicClient.readContract({ ...gov, functionName: "proposalSnapshot", args: [id] }),
    ctx.publicClient.readContract({ ...gov, functionName: "proposalDeadline", args: [id] }),
  ]);
  const now = await ctx.publicClient.getBlockNumber();
  // quorum(timepoint) needs a past block: before the snapshot is mined, show today's.
  const at = snapshot < now ? snapshot : now - 1n;
  const quorum = await ctx.publicClient.readContract({ ...gov, functionName: "quorum", args: [at] });
  return { forVotes, against, abstain, quorum, snapshot, deadline, now };
}

/** Why a proposal in `state` cannot be `action`ed now (queue wants Succeeded, execute Queued). */
export async function refuseState(
  ctx: OmniTensorContext,
  governor: Address,
  id: bigint,
  state: ProposalStateName,
  action: "queue" | "execute",
): Promise<never> {
  const t = await tallyOf(ctx, governor, id);
  const why: Partial<Record<ProposalStateName, string>> = {
    Pending: `its vote opens after block ${t.snapshot} and ends at block ${t.deadline} (now ${t.now})`,
    Active: `its vote ends at block ${t.deadline} (now ${t.now})`,
    Defeated:
      `for ${votes(t.forVotes)}, against ${votes(t.against)}, abstain ${votes(t.abstain)}; ` +
      `it needed for > against and for + abstain ≥ the quorum ${votes(t.quorum)}`,
    Succeeded: `it passed: queue it first (omnitensor gov queue --id ${id})`,
    Queued: `it is queued already: execute it after its eta (omnitensor gov status --id ${id})`,
    Executed: "it ran already",
    Canceled: "it was canceled",
    Expired: "it expired",
  };
  throw new CliError(`cannot ${action} proposal ${id}: it is ${state}; ${why[state] ?? ""}`);
}

/** queue and execute: the proposal named by --id or its content, refused unless it is `wanted`. */
export async function proposalFor(
  ctx: OmniTensorContext,
  values: { id?: string; target?: string; call?: string; args?: string[]; description?: string },
  help: string,
  wanted: "Succeeded" | "Queued",
  action: "queue" | "execute",
): Promise<{ governor: Address; id: bigint; content: ProposalContent }> {
  const { governor } = governanceOf(ctx);
  const { id, content } = await resolveProposal(ctx, governor, values, help);
  const state = await stateOf(ctx, governor, id);
  if (state !== wanted) await refuseState(ctx, governor, id, state, action);
  return { governor, id, content };
}

/** Sends the governor's `queue` or `execute` of the proposal, a revert explained (explainRevert). */
export function sendProposal(
  ctx: OmniTensorContext,
  governor: Address,
  action: "queue" | "execute",
  p: ProposalContent,
) {
  return explainRevert(action, () =>
    sendTx(ctx, {
      address: governor,
      abi: GOVERNOR_ABI,
      functionName: action,
      args: [p.targets, p.values, p.calldatas, descriptionHash(p.description)],
    }),
  );
}

/** When a queued proposal becomes executable (the timelock's eta, in seconds). */
export function proposalEta(ctx: OmniTensorContext, governor: Address, id: bigint): Promise<bigint> {
  return ctx.publicClient.readContract({
    address: governor,
    abi: omniGovernorAbi,
    functionName: "proposalEta",
    args: [id],
  });
}
