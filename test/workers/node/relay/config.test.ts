/**
 * The relay-mode fields of the node configuration: node keys from NODE_KEYS or a key file only
 * (never a config file or a flag), the relay batching fields with their defaults, duplicate keys
 * refused, and no key in what may be logged. Single-key mode is unchanged (no relay fields set).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConfigError,
  loadNodeConfig,
  parseFlags,
  redactConfig,
} from "../../../../workers/src/node/config.ts";

const K = (b: string) => `0x${b.repeat(32)}`;
const env = {
  RPC_URL: "http://127.0.0.1:8545",
  PRIVATE_KEY: K("11"),
  REDIS_URL: "redis://127.0.0.1:6379",
  ROLES: "verifier",
};

describe("relay-mode config", () => {
  it("leaves single-key mode as it is: no node keys, default batching fields", async () => {
    const c = await loadNodeConfig({ env });
    assert.equal(c.nodeKeys, undefined);
    assert.deepEqual(c.relay, {
      batchSize: 16,
      maxDelayMs: 3000,
      blockTimeS: 12,
      safetyBlocks: 5,
      withdraw: false,
      port: -1,
      host: "127.0.0.1",
      allow: [],
      maxEntriesPerMinute: 60,
    });
  });

  it("reads the node keys from NODE_KEYS and the batching fields from the file and flags", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-config-"));
    const file = join(dir, "node.json");
    const allowed = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    writeFileSync(file, JSON.stringify({ relay: { batchSize: 8, withdraw: true, allow: [allowed] } }));
    const { fields } = parseFlags(["--relay.max-delay-ms", "500", "--relay.max-entries-per-minute", "0"]);
    const c = await loadNodeConfig({
      file,
      env: { ...env, NODE_KEYS: ` ${K("22")}, ${K("33")} ` },
      flags: fields,
    });
    assert.deepEqual(c.nodeKeys, [K("22"), K("33")]);
    assert.equal(c.relay.batchSize, 8);
    assert.equal(c.relay.maxDelayMs, 500);
    assert.equal(c.relay.withdraw, true);
    assert.equal(c.relay.maxEntriesPerMinute, 0, "0: the door has no rate limit");
    assert.deepEqual(c.relay.allow, ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"], "checksummed");
    const logged = JSON.stringify(redactConfig(c));
    for (const k of [K("11"), K("22"), K("33")]) assert.ok(!logged.includes(k.slice(2)), "no key in the log");
  });

  it("refuses a negative or fractional relay.maxEntriesPerMinute, naming the field", async () => {
    for (const bad of ["-1", "1.5"]) {
      const { fields } = parseFlags(["--relay.max-entries-per-minute", bad]);
      await assert.rejects(
        loadNodeConfig({ env, flags: fields }),
        (e: Error) => e instanceof ConfigError && /relay\.maxEntriesPerMinute/.test(e.message),
        bad,
      );
    }
  });

  it("reads a key file (one key a line, # comments) named by NODE_KEYS_FILE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-keys-"));
    const keys = join(dir, "keys.txt");
    writeFileSync(keys, `# operator keys\n${K("44")}\n\n${K("55")}  # second\n`);
    const c = await loadNodeConfig({ env: { ...env, NODE_KEYS_FILE: keys } });
    assert.deepEqual(c.nodeKeys, [K("44"), K("55")]);
  });

  it("takes the relayer's key from RELAYER_PRIVATE_KEY in relay mode, and refuses it without node keys", async () => {
    const c = await loadNodeConfig({ env: { ...env, NODE_KEYS: K("22"), RELAYER_PRIVATE_KEY: K("99") } });
    assert.equal(c.privateKey, K("99"));
    assert.deepEqual(c.nodeKeys, [K("22")]);
    await assert.rejects(loadNodeConfig({ env: { ...env, RELAYER_PRIVATE_KEY: K("99") } }), /no node keys/);
  });

  it("refuses node keys in a config file or a flag, a bad key and a key listed twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-bad-"));
    const file = join(dir, "node.json");
    writeFileSync(file, JSON.stringify({ nodeKeys: [K("22")] }));
    await assert.rejects(
      loadNodeConfig({ file, env }),
      (e: Error) => e instanceof ConfigError && /nodeKeys: must not be in a config file/.test(e.message),
    );
    assert.throws(() => parseFlags(["--node-keys", K("22")]), /NODE_KEYS/);
    assert.throws(() => parseFlags(["--keys", K("22")]), /NODE_KEYS/);
    await assert.rejects(
      loadNodeConfig({ env: { ...env, NODE_KEYS: "0x1234" } }),
      /nodeKeys\.0: must be 0x followed by 64 hex digits/,
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...env, NODE_KEYS: `${K("22")},${K("22")}` } }),
      /listed twice/,
    );
    await assert.rejects(
      loadNodeConfig({ env: { ...env, NODE_KEYS_FILE: join(dir, "missing") } }),
      /nodeKeysFile .*cannot read it/,
    );
  });
});
