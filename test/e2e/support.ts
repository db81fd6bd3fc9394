/**
 * Helpers of the end-to-end tests (no tests here; importing has no side effects): a TCP proxy that
 * can be cut. The chain, the deployment, the requester (`actor`), `waitFor`, Redis clean-up and
 * bots as separate processes come from the harness in test/support/ (devnet.ts, redis.ts, e2e.ts)
 * and are re-exported here for the e2e tests.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export { actor, ROOT, rpc as rpcCall, waitFor } from "../support/devnet.ts";
export { wipeRedis } from "../support/redis.ts";
export { LOG_DIR, startBot, waitForBotsStarted, type BotProcess } from "../support/e2e.ts";

/** A TCP proxy to `target` that can be cut (every connection dropped, new ones refused) and restored. */
export class TcpProxy {
  private server?: Server;
  private sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}
  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, "127.0.0.1");
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
    });
    await new Promise<void>((r, j) =>
      this.server!.once("error", j).listen(this.port, "127.0.0.1", () => r()),
    );
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
