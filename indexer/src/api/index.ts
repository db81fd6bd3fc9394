/**
 * The indexer's HTTP API, read-only (what the dashboard reads). Besides Ponder's own /graphql,
 * /sql/*, /status, /ready and /health:
 *   GET /api/head                     what the dashboard polls: the indexed version, the chain's clock
 *   GET /api/overview                 network totals, the chain's clock, the indexed block
 *   GET /api/tasks?status=&limit=&offset=
 *   GET /api/tasks/:id                a task, its commitments, liquidations and timeline
 *   GET /api/nodes?sort=earned|reputation|stake
 *   GET /api/nodes/:address           a node, its commitments, liquidations and timeline
 *   GET /api/liquidations?limit=
 *   GET /api/series                   the per-hour series
 *   GET /api/parameters               current parameters and their changes
 *   GET /api/models
 *   GET /api/governance               proposals (empty without a governor)
 *   GET /api/events?account=&tx=&limit=   indexed events of an account or a transaction
 * Amounts are decimal strings of wei; times are chain seconds.
 */
import { Hono, type Context } from "hono";
import { and, asc, client, desc, eq, graphql, replaceBigInts, sql } from "ponder";
import { db, publicClients } from "ponder:api";
import schema from "ponder:schema";
import { omniGovernorAbi } from "../../../workers/src/chain/abis.ts";
import { indexerTarget } from "../../deployment.ts";

const app = new Hono();
app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

const json = (c: Context, body: unknown, status: 200 | 400 | 404 = 200) =>
  c.json(replaceBigInts(body, (v) => String(v)) as object, status);
const int = (v: string | undefined, dflt: number, max: number) => {
  const n = Number(v ?? dflt);
  return Number.isSafeInteger(n) && n >= 0 ? Math.min(n, max) : dflt;
};
const isAddress = (a: string) => /^0x[0-9a-fA-F]{40}$/.test(a);

let head: { at: number; value: { number: bigint; timestamp: bigint } } | undefined;
/** The chain's latest block (cached for a second): the dashboard's clock for countdowns. */
async function chainHead() {
  if (head && Date.now() - head.at < 1000) return head.value;
  const b = await publicClients.omnitensor.getBlock({ blockTag: "latest" });
  head = { at: Date.now(), value: { number: b.number, timestamp: b.timestamp } };
  return head.value;
}

/**
 * The dashboard's live signal, a few dozen bytes: `version` changes whenever an event is indexed
 * (then it refetches what it shows); `chain` is the clock of its countdowns.
 */
app.get("/api/head", async (c) => {
  const [n] = await db
    .select({ events: schema.network.events, lastBlock: schema.network.lastBlock })
    .from(schema.network)
    .where(eq(schema.network.id, "network"));
  const chain = await chainHead().catch(() => undefined);
  return json(c, {
    version: n ? `${n.lastBlock}:${n.events}` : "0:0",
    chain: chain ?? null,
    serverTime: Math.floor(Date.now() / 1000),
  });
});

app.get("/api/overview", async (c) => {
  const [network] = await db.select().from(schema.network).where(eq(schema.network.id, "network"));
  const chain = await chainHead().catch(() => undefined);
  return json(c, {
    network: network ?? null,
    chain: chain ?? null,
    chainId: publicClients.omnitensor.chain?.id ?? null,
    serverTime: Math.floor(Date.now() / 1000),
  });
});

app.get("/api/tasks", async (c) => {
  const status = c.req.query("status");
  const limit = int(c.req.query("limit"), 50, 500);
  const offset = int(c.req.query("offset"), 0, 1e9);
  const rows = await db
    .select()
    .from(schema.task)
    .where(status ? eq(schema.task.status, status) : undefined)
    .orderBy(desc(schema.task.id))
    .limit(limit)
    .offset(offset);
  const [{ total }] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(schema.task)
    .where(status ? eq(schema.task.status, status) : undefined);
  return json(c, { total, tasks: rows });
});

app.get("/api/tasks/:id", async (c) => {
  if (!/^\d+$/.test(c.req.param("id"))) return json(c, { error: "task id must be a number" }, 400);
  const id = BigInt(c.req.param("id"));
  const [task] = await db.select().from(schema.task).where(eq(schema.task.id, id));
  if (!task) return json(c, { error: `no task ${id}` }, 404);
  const commitments = await db
    .select()
    .from(schema.commitment)
    .where(eq(schema.commitment.taskId, id))
    .orderBy(asc(schema.commitment.place), asc(schema.commitment.committedAt));
  const liquidations = await db.select().from(schema.liquidation).where(eq(schema.liquidation.taskId, id));
  const events = await db
    .select()
    .from(schema.event)
    .where(eq(schema.event.taskId, id))
    .orderBy(asc(schema.event.block), asc(schema.event.logIndex));
  const [model] = await db.select().from(schema.model).where(eq(schema.model.id, task.modelId));
  return json(c, { task, commitments, liquidations, events, model: model ?? null });
});

const NODE_ORDER = {
  earned: [desc(schema.node.earned), desc(schema.node.agreed)],
  reputation: [desc(schema.node.agreed), desc(schema.node.revealed), desc(schema.node.earned)],
  stake: [desc(schema.node.stake)],
};

app.get("/api/nodes", async (c) => {
  const sort = (c.req.query("sort") ?? "earned") as keyof typeof NODE_ORDER;
  const order = NODE_ORDER[sort] ?? NODE_ORDER.earned;
  const rows = await db
    .select()
    .from(schema.node)
    .orderBy(...order)
    .limit(int(c.req.query("limit"), 100, 1000));
  return json(c, { nodes: rows });
});

app.get("/api/nodes/:address", async (c) => {
  const a = c.req.param("address");
  if (!isAddress(a)) return json(c, { error: "address must be 0x and 40 hex digits" }, 400);
  const address = a.toLowerCase() as `0x${string}`;
  const [node] = await db.select().from(schema.node).where(eq(schema.node.address, address));
  if (!node) return json(c, { error: `no node ${address}` }, 404);
  const commitments = await db
    .select()
    .from(schema.commitment)
    .where(eq(schema.commitment.node, address))
    .orderBy(desc(schema.commitment.taskId))
    .limit(200);
  const liquidations = await db.select().from(schema.liquidation).where(eq(schema.liquidation.node, address));
  const events = await db
    .select()
    .from(schema.event)
    .where(eq(schema.event.account, address))
    .orderBy(desc(schema.event.block), desc(schema.event.logIndex))
    .limit(200);
  return json(c, { node, commitments, liquidations, events });
});

app.get("/api/liquidations", async (c) => {
  const rows = await db
    .select()
    .from(schema.liquidation)
    .orderBy(desc(schema.liquidation.block))
    .limit(int(c.req.query("limit"), 50, 500));
  return json(c, { liquidations: rows });
});

app.get("/api/series", async (c) => {
  const rows = await db
    .select()
    .from(schema.hourly)
    .orderBy(asc(schema.hourly.hour))
    .limit(24 * 90);
  return json(c, { hours: rows });
});

app.get("/api/parameters", async (c) => {
  const current = await db.select().from(schema.parameter).orderBy(asc(schema.parameter.contract));
  const changes = await db
    .select()
    .from(schema.parameterChange)
    .orderBy(desc(schema.parameterChange.timestamp))
    .limit(200);
  return json(c, { current, changes });
});

app.get("/api/models", async (c) => {
  return json(c, { models: await db.select().from(schema.model).orderBy(desc(schema.model.tasks)) });
});

const GOVERNOR = indexerTarget().deployment.contracts.OmniGovernor;
const PROPOSAL_STATES = [
  "Pending",
  "Active",
  "Canceled",
  "Defeated",
  "Succeeded",
  "Queued",
  "Expired",
  "Executed",
];

/** Proposals, each with its live state read from the governor (time moves states the events do not). */
app.get("/api/governance", async (c) => {
  const proposals = await db.select().from(schema.proposal).orderBy(desc(schema.proposal.createdAt));
  const governor = GOVERNOR;
  const live = await Promise.all(
    proposals.map(async (p) => {
      if (!governor) return p;
      const s = await publicClients.omnitensor
        .readContract({
          address: governor,
          abi: omniGovernorAbi,
          functionName: "state",
          args: [BigInt(p.id)],
        })
        .catch(() => undefined);
      return s === undefined ? p : { ...p, state: PROPOSAL_STATES[s] ?? p.state };
    }),
  );
  return json(c, { proposals: live, hasGovernor: Boolean(governor) });
});

app.get("/api/events", async (c) => {
  const account = c.req.query("account");
  const tx = c.req.query("tx");
  if (account !== undefined && !isAddress(account))
    return json(c, { error: "account must be an address" }, 400);
  if (tx !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(tx))
    return json(c, { error: "tx must be a hash" }, 400);
  const rows = await db
    .select()
    .from(schema.event)
    .where(
      and(
        account ? eq(schema.event.account, account.toLowerCase() as `0x${string}`) : undefined,
        tx ? eq(schema.event.tx, tx.toLowerCase() as `0x${string}`) : undefined,
      ),
    )
    .orderBy(desc(schema.event.block), desc(schema.event.logIndex))
    .limit(int(c.req.query("limit"), 200, 1000));
  return json(c, { events: rows });
});

export default app;
