/**
 * The relayer's door for other nodes (docs/operator.md §11, "Relaying for other nodes"): a node
 * that holds its own key POSTs its signed commitment or its reveal, and the relayer sends it in
 * its next batch (paying the gas). Off unless `relay.port` is set; `relay.allow` limits it to
 * listed node addresses (empty: any node, a public relayer). The answer comes once the entry is
 * mined: 200 {"hash"}, 422 {"error"} with the contract's error when it would revert or was
 * skipped, 403 for a node not allowed, 400 for a malformed body, 429 with Retry-After (seconds)
 * for a node over `relay.maxEntriesPerMinute` (ratelimit.ts), 503 when the relayer cannot send.
 * Entries posted here carry no expected reward: the relayer's profitability guard does not apply.
 *
 *   POST /relay/commit  {"taskId":"1","node":"0x…","place":1,"commitment":"0x…","sealedOutput":"0x…",
 *                        "deadline":"…","signature":"0x…"}          (the SignedCommit of signCommit)
 *   POST /relay/reveal  {"taskId":"1","node":"0x…","outputHash":"0x…","salt":"0x…"}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";
import type { ChainReader } from "../context.ts";
import { TxRevertError } from "../../chain/errors.ts";
import type { SignedCommit } from "../../protocol/index.ts";
import type { Relayer } from "./relayer.ts";
import type { RevealEntry } from "./send.ts";
import { placeClosesAt } from "./sender.ts";
import { NodeRateLimit } from "./ratelimit.ts";

export interface RelayServerOptions {
  relayer: Relayer;
  chain: ChainReader;
  port: number;
  host: string;
  /** Node addresses allowed (empty: any). */
  allow: readonly Address[];
  /** Entries one node may post per minute (0: no limit). */
  maxEntriesPerMinute: number;
  logger: Logger;
  /** The rate limit's clock (ms); tests move it. Default Date.now. */
  now?: () => number;
}

/** What the door needs per request: its options and the per-node rate limit. */
interface Door extends RelayServerOptions {
  limit: NodeRateLimit;
}

class BadRequest extends Error {}
/** An answer other than 200 with its status (and headers). */
class Refused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const uint = (v: unknown, name: string): bigint => {
  if ((typeof v !== "string" && typeof v !== "number") || !/^\d+$/.test(String(v)))
    throw new BadRequest(`${name}: a decimal integer`);
  return BigInt(v);
};
const hex = (v: unknown, name: string, bytes?: number): Hex => {
  if (typeof v !== "string" || !isHex(v) || (bytes !== undefined && v.length !== 2 + 2 * bytes))
    throw new BadRequest(`${name}: ${bytes ? `${bytes} bytes of` : ""} 0x hex`);
  return v.toLowerCase() as Hex;
};
const addr = (v: unknown): Address => {
  if (typeof v !== "string" || !isAddress(v, { strict: false })) throw new BadRequest("node: an address");
  return getAddress(v);
};

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 1_000_000) throw new BadRequest("body over 1 MB");
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new BadRequest("body: a JSON object");
}

function send(
  res: ServerResponse,
  status: number,
  payload: object,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(payload));
}

/** The entry of a posted body (BadRequest when malformed). */
function parseEntry(kind: string, b: Record<string, unknown>): RevealEntry | SignedCommit {
  const taskId = uint(b.taskId, "taskId");
  const node = addr(b.node);
  if (kind === "reveal")
    return { taskId, node, outputHash: hex(b.outputHash, "outputHash", 32), salt: hex(b.salt, "salt", 32) };
  return {
    taskId,
    node,
    place: Number(uint(b.place, "place")),
    commitment: hex(b.commitment, "commitment", 32),
    sealedOutput: hex(b.sealedOutput, "sealedOutput"),
    deadline: uint(b.deadline, "deadline"),
    signature: hex(b.signature, "signature"),
  };
}

/** Refuses a node not in `relay.allow` (403) or over its rate limit (429 with Retry-After). */
function admit(o: Door, node: Address): void {
  if (o.allow.length && !o.allow.some((a) => a.toLowerCase() === node.toLowerCase()))
    throw new Refused(403, `node ${node} is not relayed here`);
  const wait = o.limit.take(node);
  if (wait !== undefined)
    throw new Refused(
      429,
      `node ${node} is over relay.maxEntriesPerMinute (${o.maxEntriesPerMinute}); retry in ${wait} s`,
      { "retry-after": String(wait) },
    );
}

/** Queues a posted entry (commit or reveal) with its deadline; resolves with the carrying transaction's hash. */
async function relayPosted(o: Door, kind: string, b: Record<string, unknown>): Promise<Hex> {
  const e = parseEntry(kind, b);
  admit(o, e.node);
  const t = await o.chain.task(e.taskId);
  if (!("place" in e)) return o.relayer.reveal(e, t.revealDeadline);
  // The window closes at the place's deadline, or just after the signature's own deadline.
  const closes = placeClosesAt(t, e.place);
  return o.relayer.commit(e, e.deadline + 1n < closes ? e.deadline + 1n : closes);
}

async function handle(o: Door, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const kind = req.url === "/relay/commit" ? "commit" : req.url === "/relay/reveal" ? "reveal" : undefined;
  if (req.method !== "POST" || !kind) return send(res, 404, { error: "POST /relay/commit or /relay/reveal" });
  try {
    const hash = await relayPosted(o, kind, await body(req));
    send(res, 200, { hash });
  } catch (e) {
    const err = e as Error;
    if (e instanceof BadRequest) return send(res, 400, { error: err.message });
    if (e instanceof Refused) return send(res, e.status, { error: e.message }, e.headers);
    if (e instanceof TxRevertError && !e.retryable) return send(res, 422, { error: e.errorName ?? e.detail });
    o.logger.warn({ kind, err: err.message?.split("\n")[0] }, "relay: a posted entry was not sent");
    send(res, 503, { error: err.message?.split("\n")[0] ?? String(e) });
  }
}

/** Starts the relayer's HTTP door; resolves with the server and its port. */
export async function startRelayServer(o: RelayServerOptions): Promise<{ server: Server; port: number }> {
  const door: Door = { ...o, limit: new NodeRateLimit(o.maxEntriesPerMinute, o.now) };
  const server = createServer((req, res) => void handle(door, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : o.port;
  o.logger.info(
    { port, host: o.host, allow: o.allow.length || "any node", maxEntriesPerMinute: o.maxEntriesPerMinute },
    "relay: accepting entries of other nodes",
  );
  return { server, port };
}
