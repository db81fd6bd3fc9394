/** The node config: one schema, env + file + flags, errors that name the field. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  loadNodeConfig,
  loadWorkerConfig,
  parseFlags,
  parseNodeConfig,
  redactConfig,
  redisOptions,
  resolveConfirmations,
} from "../../../workers/src/node/config.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const MODEL = "0x" + "ab".repeat(32);
const baseEnv = { PRIVATE_KEY: KEY, RPC_URL: "http://127.0.0.1:8545", REDIS_URL: "redis://127.0.0.1:6379/3" };

describe("node config", () => {
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
      const c = await loadNodeConfig({
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
      loadNodeConfig({ env: { ...baseEnv, ROLES: "verifier", RPC_URL: "not a url" } }),
      (e: unknown) => e instanceof ConfigError && /rpcUrl: must be an http\(s\) URL/.test(e.message),
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...baseEnv, ROLES: "verifier", PRIVATE_KEY: "0x12" } }),
      (e: unknown) =>
        e instanceof ConfigError && /privateKey: must be 0x followed by 64 hex digits/.test(e.message),
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...baseEnv } }),
      (e: unknown) => e instanceof ConfigError && /roles: is required/.test(e.message),
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...baseEnv, ROLES: "miner" } }),
      (e: unknown) => e instanceof ConfigError && /roles\.0/.test(e.message),
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...baseEnv, ROLES: "compute" } }),
      (e: unknown) => e instanceof ConfigError && /models: the compute role needs/.test(e.message),
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...baseEnv, ROLES: "verifier", METRICS_PORT: "70000" } }),
      (e: unknown) => e instanceof ConfigError && /metrics\.port/.test(e.message),
    );
  });

  it("takes the private key from the environment only and never shows it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cfg-"));
    try {
      const file = join(dir, "w.json");
      await writeFile(file, JSON.stringify({ roles: ["verifier"], privateKey: KEY }));
      await assert.rejects(
        loadNodeConfig({ file, env: baseEnv }),
        (e: unknown) => e instanceof ConfigError && /privateKey: must not be in a file/.test(e.message),
      );
      assert.throws(() => parseFlags(["--private-key", KEY]), /PRIVATE_KEY environment variable only/);
      const c = await loadNodeConfig({ env: { ...baseEnv, ROLES: "verifier" } });
      assert.ok(!JSON.stringify(redactConfig(c)).includes(KEY.slice(2)));
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("has no cheat setting: a wrong result is a test's output transform, never production config", async () => {
    const flags = { cheat: { wrongResult: true } };
    const env = { ...baseEnv, ROLES: "verifier", OMNITENSOR_ALLOW_CHEAT: "1" };
    await assert.rejects(loadNodeConfig({ env, flags }), /cheat/);
  });

  it("chooses confirmations by chain id: 0 on a local dev chain unless set, with a warning when set above 0", () => {
    const c = parseNodeConfig({
      ...{ rpcUrl: baseEnv.RPC_URL, privateKey: KEY, redisUrl: baseEnv.REDIS_URL },
      roles: ["verifier"],
    });
    assert.equal(c.confirmations, undefined, "not set: decided by the chain");
    assert.deepEqual(resolveConfirmations(31337, undefined), { confirmations: 0 });
    assert.deepEqual(resolveConfirmations(1337, undefined), { confirmations: 0 });
    assert.deepEqual(resolveConfirmations(11155111, undefined), { confirmations: 1 });
    assert.deepEqual(resolveConfirmations(1, 3), { confirmations: 3 });
    assert.deepEqual(resolveConfirmations(31337, 0), { confirmations: 0 });
    const local = resolveConfirmations(31337, 2);
    assert.equal(local.confirmations, 2, "an explicit setting is kept");
    assert.match(
      local.warning ?? "",
      /confirmations 2 on local chain 31337: .*automining node makes none without traffic/,
    );
  });

  it("keeps the old names as aliases of the new ones", () => {
    assert.equal(loadWorkerConfig, loadNodeConfig);
  });
});
