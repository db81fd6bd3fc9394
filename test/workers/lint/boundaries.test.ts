/**
 * The import rules of eslint.config.js (README "Layout"): a deliberate upward or impure import in
 * each layer is refused by `npm run lint`, and the same layer's allowed imports pass.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ESLint } from "eslint";

const eslint = new ESLint({ cwd: process.cwd() });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath });
  return res.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

const CASES: Array<[file: string, code: string, refused: boolean]> = [
  // upward imports
  ["workers/src/sdk/probe.ts", `import { x } from "../cli/options.ts";\nexport { x };`, true],
  ["workers/src/sdk/probe.ts", `import { x } from "../node/start.ts";\nexport { x };`, true],
  ["workers/src/chain/probe.ts", `import { x } from "../node/common.ts";\nexport { x };`, true],
  ["workers/src/node/probe.ts", `import { x } from "../cli/main.ts";\nexport { x };`, true],
  ["workers/src/protocol/probe.ts", `import { x } from "../chain/abis.ts";\nexport { x };`, true],
  // pure code loads no runtime, queue or Redis
  ["workers/src/inference/probe.ts", `import { x } from "./runtime/engine.ts";\nexport { x };`, true],
  ["workers/src/inference/probe.ts", `import * as ort from "onnxruntime-node";\nexport { ort };`, true],
  ["workers/src/protocol/probe.ts", `import { Queue } from "bullmq";\nexport { Queue };`, true],
  ["workers/src/sdk/probe.ts", `import { Redis } from "ioredis";\nexport { Redis };`, true],
  ["workers/src/sdk/probe.ts", `import { x } from "../inference/runtime/index.ts";\nexport { x };`, true],
  // imports that point down are allowed
  ["workers/src/cli/probe.ts", `import { x } from "../sdk/index.ts";\nexport { x };`, false],
  ["workers/src/node/probe.ts", `import { x } from "../chain/abis.ts";\nexport { x };`, false],
  ["workers/src/node/probe.ts", `import { Queue } from "bullmq";\nexport { Queue };`, false],
  ["workers/src/sdk/probe.ts", `import { x } from "../inference/codec.ts";\nexport { x };`, false],
  [
    "workers/src/inference/runtime/probe.ts",
    `import * as ort from "onnxruntime-node";\nexport { ort };`,
    false,
  ],
];

describe("lint: imports only point down", () => {
  for (const [file, code, refused] of CASES) {
    const what = code.split("\n")[0];
    it(`${refused ? "refuses" : "allows"} in ${file}: ${what}`, async () => {
      const msgs = await restricted(file, code);
      if (refused) assert.ok(msgs.length > 0, `expected a no-restricted-imports error for ${what}`);
      else assert.deepEqual(msgs, []);
    });
  }
});
