/** The worker config: one schema, env + file + flags, errors that name the field. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  loadWorkerConfig,
  parseFlags,
  redactConfig,
  redisOptions,
} from "../../../workers/src/node/config.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const MODEL = "0x" + "ab".repeat(32);
const baseEnv = { PRIVATE_KEY: KEY, RPC_URL: "http://127.0.0.1:8545", REDIS_URL: "redis://127.0.0.1:6379/3" };

describe("worker config", () => {
  it("merges file < env < flags and parses amounts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cfg-"));
    try {
      const file = join(dir, "w.json");
      await writeFile(
        file,
        JSON.stringify({
          roles: ["compute"],
          models: [{ modelId: MODEL, path: "m.onnx" }],
          minReward: "2.5",
          confirmations: 3,
        }),
      );
      const c = await loadWorkerConfig({
        file,
        env: { ...baseEnv, CONFIRMATIONS: "4" },
        flags: parseFlags(["--poll-interval-ms", "100"]).fields,
      });
      assert.equal(c.minReward, 2_500_000_000_000_000_000n);
      assert.equal(c.confirmations, 4);
      assert.equal(c.pollIntervalMs, 100);
      assert.equal(c.redisPrefix, "omnitensor");
      assert.deepEqual(c.roles, ["compute"]);
      assert.equal(redisOptions(c.redisUrl).db, 3);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("names the field and the reason", async () => {
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "verifier", RPC_URL: "not a url" } }),
      (e: unknown) => e instanceof ConfigError && /rpcUrl: must be an http\(s\) URL/.test(e.message),
    );
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "verifier", PRIVATE_KEY: "0x12" } }),
      (e: unknown) =>
        e instanceof ConfigError && /privateKey: must be 0x followed by 64 hex digits/.test(e.message),
    );
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv } }),
      (e: unknown) => e instanceof ConfigError && /roles: is required/.test(e.message),
    );
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "miner" } }),
      (e: unknown) => e instanceof ConfigError && /roles\.0/.test(e.message),
    );
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "compute" } }),
      (e: unknown) => e instanceof ConfigError && /models: the compute role needs/.test(e.message),
    );
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "verifier", METRICS_PORT: "70000" } }),
      (e: unknown) => e instanceof ConfigError && /metrics\.port/.test(e.message),
    );
  });

  it("takes the private key from the environment only and never shows it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cfg-"));
    try {
      const file = join(dir, "w.json");
      await writeFile(file, JSON.stringify({ roles: ["verifier"], privateKey: KEY }));
      await assert.rejects(
        loadWorkerConfig({ file, env: baseEnv }),
        (e: unknown) => e instanceof ConfigError && /privateKey: must not be in a file/.test(e.message),
      );
      assert.throws(() => parseFlags(["--private-key", KEY]), /PRIVATE_KEY environment variable only/);
      const c = await loadWorkerConfig({ env: { ...baseEnv, ROLES: "verifier" } });
      assert.ok(!JSON.stringify(redactConfig(c)).includes(KEY.slice(2)));
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("refuses the test-only cheat setting unless explicitly allowed", async () => {
    const flags = { cheat: { wrongResult: true } };
    await assert.rejects(
      loadWorkerConfig({ env: { ...baseEnv, ROLES: "verifier" }, flags }),
      /cheat\.wrongResult: test-only/,
    );
    const c = await loadWorkerConfig({
      env: { ...baseEnv, ROLES: "verifier", OMNITENSOR_ALLOW_CHEAT: "1" },
      flags,
    });
    assert.equal(c.cheat.wrongResult, true);
  });
});
