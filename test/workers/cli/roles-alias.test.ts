/**
 * One name for the second role (issue 17 item 4): the protocol's VALIDATOR. `verifier` (the node
 * config's older word) is accepted wherever a role is given: `node stake --roles`, the SDK's
 * parseRoles, and the node config (file, ROLES, --roles), which accepts `validator` too.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { formatRoles, parseRoles, ROLE_COMPUTE, ROLE_VALIDATOR } from "../../../workers/src/sdk/staking.ts";

const KEY = `0x${"11".repeat(32)}`;
const base = { rpcUrl: "http://127.0.0.1:8545", redisUrl: "redis://127.0.0.1:6379/3", privateKey: KEY };

describe("the validator role and its verifier alias", () => {
  it("staking: validator and verifier are the same role bit", () => {
    assert.equal(parseRoles("validator"), ROLE_VALIDATOR);
    assert.equal(parseRoles("verifier"), ROLE_VALIDATOR);
    assert.equal(parseRoles("compute,verifier"), ROLE_COMPUTE | ROLE_VALIDATOR);
    assert.equal(formatRoles(parseRoles("verifier")), "validator");
    assert.throws(
      () => parseRoles("miner"),
      /unknown role "miner": use compute, validator \(alias verifier\)/,
    );
  });

  it("node config: roles validator and verifier both mean the validator duty", () => {
    assert.deepEqual(parseNodeConfig({ ...base, roles: ["validator"] }, {}).roles, ["verifier"]);
    assert.deepEqual(parseNodeConfig({ ...base, roles: ["verifier"] }, {}).roles, ["verifier"]);
    assert.throws(() => parseNodeConfig({ ...base, roles: ["miner"] }, {}), /roles/);
  });
});
