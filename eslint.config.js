import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The import graph of workers/src (README "Layout"): imports only point down,
 *   cli → sdk | node → chain | inference | protocol,
 * and pure code loads no chain, queue or runtime code. Each rule names the layer it keeps out.
 */
const layer = (name, regex) => ({ regex, message: `${name}: imports only point down (README "Layout")` });
const UP = {
  cli: layer("no import of the CLI from below it", String.raw`(^|/)cli/`),
  node: layer("no import of the node service from below it", String.raw`(^|/)node/`),
  sdk: layer("the SDK is a sibling of the node service, not a layer under it", String.raw`(^|/)sdk/`),
  chain: layer("pure code reads no chain", String.raw`(^|/)chain/`),
  runtime: layer("pure code loads no inference runtime", String.raw`(^|/)runtime/`),
};
const PKG = {
  queue: { name: "bullmq", message: "queues belong to the node service (node/)" },
  redis: { name: "ioredis", message: "Redis belongs to the node service (node/)" },
  ort: { name: "onnxruntime-node", message: "onnxruntime belongs to inference/runtime/" },
};
const restrict = (files, patterns, paths, ignores = []) => ({
  files,
  ignores,
  rules: { "no-restricted-imports": ["error", { patterns, paths }] },
});
const boundaries = [
  restrict(
    ["workers/src/protocol/**/*.ts"],
    [
      UP.cli,
      UP.node,
      UP.sdk,
      UP.chain,
      UP.runtime,
      layer("protocol is the bottom layer", String.raw`(^|/)inference/`),
    ],
    [PKG.queue, PKG.redis, PKG.ort],
  ),
  restrict(
    ["workers/src/inference/**/*.ts"],
    [UP.cli, UP.node, UP.sdk, UP.chain, UP.runtime],
    [PKG.queue, PKG.redis, PKG.ort],
    ["workers/src/inference/runtime/**"],
  ),
  restrict(
    ["workers/src/inference/runtime/**/*.ts"],
    [UP.cli, UP.node, UP.sdk, UP.chain],
    [PKG.queue, PKG.redis],
  ),
  restrict(
    ["workers/src/chain/**/*.ts"],
    [UP.cli, UP.node, UP.sdk, UP.runtime],
    [PKG.queue, PKG.redis, PKG.ort],
  ),
  restrict(["workers/src/sdk/**/*.ts"], [UP.cli, UP.node, UP.runtime], [PKG.queue, PKG.redis, PKG.ort]),
  restrict(["workers/src/node/**/*.ts"], [UP.cli, UP.sdk], []),
  // The indexer reads the chain through Ponder: of the workers it takes only chain/ (ABIs, deployment file).
  restrict(
    ["indexer/**/*.ts"],
    [
      UP.cli,
      UP.node,
      UP.sdk,
      UP.runtime,
      layer("the indexer runs no inference", String.raw`(^|/)inference/`),
    ],
    [PKG.queue, PKG.redis, PKG.ort],
  ),
  // The dashboard reads only the indexer's HTTP API: no chain client, no project code outside dashboard/.
  restrict(
    ["dashboard/**/*.{ts,tsx}"],
    [
      {
        regex: String.raw`^\.\./\.\.?/`,
        message: "the dashboard reads only the indexer's API (no code outside dashboard/)",
      },
      { regex: "^(viem|ponder)", message: "the dashboard reads only the indexer's API (no chain client)" },
    ],
    [],
  ),
];

/** Size limits of the renovation (issue "Renovation"): one step per function, one concern per file. */
const SIZE = process.env.OMNITENSOR_LINT_SIZE === "warn" ? "warn" : "error";
const sizes = [
  {
    files: ["workers/src/**/*.ts", "scripts/**/*.ts", "scripts/**/*.mjs"],
    rules: { "max-lines-per-function": [SIZE, { max: 60, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ["workers/src/**/*.ts"],
    ignores: ["workers/src/chain/abis.ts", "workers/src/chain/abis/**"],
    rules: { "max-lines": [SIZE, { max: 400, skipBlankLines: false, skipComments: false }] },
  },
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "coverage/",
      "types/",
      "deploy/deployments/",
      "workers/dist/",
      "workers/src/sdk/dist/",
      "**/*.d.ts",
      "dashboard/dist/",
      "indexer/.ponder/",
      "generated/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        AbortController: "readonly",
        fetch: "readonly",
        performance: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["dashboard/src/**/*.{ts,tsx}"],
    languageOptions: {
      globals: {
        document: "readonly",
        location: "readonly",
        addEventListener: "readonly",
        removeEventListener: "readonly",
      },
    },
  },
  ...boundaries,
  ...sizes,
);
