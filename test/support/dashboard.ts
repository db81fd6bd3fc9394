/**
 * The dashboard (dashboard/, Vite + React) built once with `vite build` and served by a small
 * static server that forwards /api, /status and /graphql to the indexer: what `npm run dashboard`
 * and the browser test run. Importing it has no side effects.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { extname, join, normalize } from "node:path";
import { ROOT } from "./devnet.ts";

export const DASHBOARD_DIR = join(ROOT, "dashboard");
/** Debian's Chromium (CHROMIUM_PATH to change), for the browser test and `npm run bench:indexer -- --browser`. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
/** Flags that keep Chromium off the network: only 127.0.0.1 resolves; no background traffic. */
export const OFFLINE_ARGS = [
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  "--no-proxy-server",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-client-side-phishing-detection",
  "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
  "--metrics-recording-only",
  "--no-first-run",
  "--disable-gpu",
];

/** `vite build` of dashboard/ into `outDir` (default dashboard/dist); returns outDir. */
export async function buildDashboard(outDir = join(DASHBOARD_DIR, "dist")): Promise<string> {
  const { build } = await import("vite");
  await build({
    configFile: join(DASHBOARD_DIR, "vite.config.ts"),
    build: { outDir, emptyOutDir: true },
    logLevel: "warn",
  });
  return outDir;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};
const PROXIED = ["/api/", "/status", "/graphql", "/ready"];

export interface ServedDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the built app from `dir` on 127.0.0.1:`port` (0: any) and proxies the API to `indexerUrl`. */
export async function serveDashboard(opts: {
  dir: string;
  indexerUrl: string;
  port?: number;
}): Promise<ServedDashboard> {
  const target = new URL(opts.indexerUrl);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (PROXIED.some((p) => path.startsWith(p))) {
      const up = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", (e) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `indexer unreachable: ${e.message}` }));
      });
      req.pipe(up);
      return;
    }
    let file = normalize(join(opts.dir, decodeURIComponent(path)));
    if (!file.startsWith(opts.dir) || !existsSync(file) || statSync(file).isDirectory())
      file = join(opts.dir, "index.html");
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(opts.port ?? 0, "127.0.0.1", () => res());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
