/**
 * The dashboard's Vite config. The app reads only the indexer's HTTP API, proxied under /api
 * (and Ponder's /status, /graphql) to INDEXER_URL (default http://127.0.0.1:42069).
 * JSX is compiled by Vite's own esbuild (no React plugin: no fast refresh, fewer dependencies).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const indexer = process.env.INDEXER_URL || "http://127.0.0.1:42069";
const proxy = Object.fromEntries(["/api", "/status", "/graphql"].map((p) => [p, { target: indexer }]));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  esbuild: { jsx: "automatic" },
  server: { host: "127.0.0.1", proxy, strictPort: true },
  preview: { host: "127.0.0.1", proxy, strictPort: true },
  clearScreen: false,
  logLevel: "warn",
});
