/** Helpers shared by the handlers: the generic event record, the network row, the hourly series. */
import { replaceBigInts } from "ponder";
import type { Context } from "ponder:registry";
import { event as eventTable, hourly, network, nodeHour } from "ponder:schema";

export type Ctx = Context;
type Hex = `0x${string}`;
/** What every log event has (Ponder's per-event types narrow `args`). */
export interface LogEvent {
  id: string;
  args: unknown;
  block: { number: bigint; timestamp: bigint };
  log: { logIndex: number };
  transaction: { hash: Hex };
}

const HOUR = 3600n;
export const hourOf = (timestamp: bigint): bigint => (timestamp / HOUR) * HOUR;
export const lower = (a: string): Hex => a.toLowerCase() as Hex;

type NetworkRow = typeof network.$inferInsert;
type HourlyRow = typeof hourly.$inferInsert;
export type NetworkDelta = Partial<Omit<NetworkRow, "id">>;
export type HourlyDelta = Partial<Omit<HourlyRow, "hour">>;

const NETWORK_ZERO: NetworkRow = {
  id: "network",
  tasks: 0,
  finalized: 0,
  unresolved: 0,
  cancelled: 0,
  nodes: 0,
  totalStaked: 0n,
  escrowed: 0n,
  rewardsClaimed: 0n,
  slashed: 0n,
  liquidations: 0,
  verificationPool: 0n,
  transfers: 0,
  events: 0,
  lastBlock: 0n,
  lastTimestamp: 0n,
};
const HOURLY_ZERO: Omit<HourlyRow, "hour"> = {
  tasksCreated: 0,
  tasksFinalized: 0,
  tasksUnresolved: 0,
  tasksCancelled: 0,
  commits: 0,
  slashes: 0,
  slashed: 0n,
  rewards: 0n,
  activeNodes: 0,
};

/** Adds each numeric field of `delta` to `row` (numbers and bigints); `last*` fields and others are replaced. */
function add<T extends Record<string, unknown>>(row: T, delta: Partial<T>): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(delta)) {
    const cur = row[k];
    if (k.startsWith("last")) out[k] = v;
    else if (typeof v === "bigint" && typeof cur === "bigint") out[k] = cur + v;
    else if (typeof v === "number" && typeof cur === "number") out[k] = cur + v;
    else out[k] = v;
  }
  return out as Partial<T>;
}

/** Adds `delta` to the network totals (created on first use). */
export async function bumpNetwork(context: Ctx, delta: NetworkDelta): Promise<void> {
  await context.db
    .insert(network)
    .values({ ...NETWORK_ZERO, ...delta })
    .onConflictDoUpdate((row) => add(row, delta));
}

/** Adds `delta` to the hour of `timestamp`. */
export async function bumpHour(context: Ctx, timestamp: bigint, delta: HourlyDelta): Promise<void> {
  const hour = hourOf(timestamp);
  await context.db
    .insert(hourly)
    .values({ hour, ...HOURLY_ZERO, ...delta })
    .onConflictDoUpdate((row) => add(row, delta));
}

/** Marks `node` active in the hour of `timestamp` (hourly.activeNodes counts distinct nodes). */
export async function markActive(context: Ctx, timestamp: bigint, node: Hex): Promise<void> {
  const hour = hourOf(timestamp);
  const seen = await context.db.find(nodeHour, { hour, node });
  if (seen) return;
  await context.db.insert(nodeHour).values({ hour, node });
  await bumpHour(context, timestamp, { activeNodes: 1 });
}

const ACCOUNT_ARGS = ["node", "account", "requester", "owner", "from", "delegator", "proposer", "voter"];

/** Every event, whatever its contract: one row of the `event` table (the timelines). */
export async function recordEvent(
  contract: string,
  name: string,
  event: LogEvent,
  context: Ctx,
): Promise<void> {
  const args = (event.args ?? {}) as Record<string, unknown>;
  const taskId = typeof args.taskId === "bigint" ? args.taskId : null;
  const who = ACCOUNT_ARGS.map((k) => args[k]).find((v) => typeof v === "string");
  await context.db.insert(eventTable).values({
    id: event.id,
    contract,
    name,
    taskId,
    account: who ? lower(who as string) : null,
    args: replaceBigInts(args, (v) => String(v)),
    block: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
    tx: event.transaction.hash,
  });
  await bumpNetwork(context, {
    events: 1,
    lastBlock: event.block.number,
    lastTimestamp: event.block.timestamp,
  });
}
