/**
 * The indexer's §6 arithmetic (indexer/src/money.ts): what a settlement adds to the verification
 * pool, in the cases that the chain test (indexer.test.ts: undisputed, Finalized) does not reach.
 * Values worked by hand from PROTOCOL.md §6 and contracts/libraries/Payouts.sol.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  afterSlash,
  bpsOf,
  poolOnSettle,
  split,
  verifierPay,
  type Settled,
} from "../../indexer/src/money.ts";

const E = 10n ** 18n;
const R = "0x" + "aa".repeat(32);
const X = "0x" + "bb".repeat(32);
// reward 10, royalty 5 %, fee 20 %, 5 seats: royalty 0.5, fee 2, w = 7.5 / 5 = 1.5
const base: Settled = {
  reward: 10n * E,
  royaltyBps: 500,
  verifierFeeBps: 2000,
  redundancy: 5,
  disputed: false,
  disputeBond: 0n,
  live: 7,
  reveals: 7,
  verifierVotes: {},
};
const fin = (n: number) => ({ finalized: true, leader: R, n, tied: false });
const unres = (n: number, tied = false) => ({ finalized: false, leader: R, n, tied });

describe("indexer money (§6)", () => {
  it("splits the reward and caps a verifier's pay at the worker share", () => {
    assert.deepEqual(split(10n * E, 500, 2000, 5), { royalty: E / 2n, fee: 2n * E, w: (3n * E) / 2n });
    assert.equal(verifierPay((3n * E) / 2n, 2n * E, 1), (3n * E) / 2n); // min(w, fee)
    assert.equal(verifierPay((3n * E) / 2n, 2n * E, 4), E / 2n); // fee / 4
    assert.equal(verifierPay(E, 2n * E, 0), 0n);
    assert.equal(bpsOf(1001n, 500), 50n);
  });

  it("Finalized: the fee less what the verifiers that revealed R are owed", () => {
    assert.equal(poolOnSettle({ ...base, verifierVotes: { [R]: 1 } }, fin(6)), E / 2n); // 2 − 1.5
    assert.equal(poolOnSettle({ ...base, verifierVotes: { [R]: 2, [X]: 1 } }, fin(7)), 0n); // 2 − 2 × 1
    assert.equal(poolOnSettle(base, fin(5)), 2n * E); // no verifier revealed R: the whole fee
  });

  it("Finalized after a groundless dispute: the bond's remainder of v joins the pool", () => {
    const t = { ...base, disputed: true, disputeBond: 10n * E + 1n, verifierVotes: { [R]: 3 } };
    // v = 3: pay = min(1.5, 2/3) = 0.66…6, fee − 3 pay = 2 wei; bond % 3 = 2 (10^19 ≡ 1 mod 3)
    const pay = (2n * E) / 3n;
    assert.equal(poolOnSettle({ ...t, reveals: 8, live: 8 }, fin(8)), 4n);
    // one live commitment unrevealed: not groundless, the bond goes back to its payer
    assert.equal(poolOnSettle({ ...t, reveals: 8, live: 9 }, fin(8)), 2n * E - 3n * pay);
  });

  it("Unresolved: undisputed pays every verifier that revealed; disputed only the untied leader's", () => {
    const votes = { [R]: 1, [X]: 3 }; // undisputed: v = 4, pay = 0.5 each: nothing left
    assert.equal(poolOnSettle({ ...base, verifierVotes: votes }, unres(3)), 0n);
    const d = { ...base, disputed: true, disputeBond: 10n * E, verifierVotes: votes };
    assert.equal(poolOnSettle(d, unres(3)), E / 2n); // the leader R's v = 1: 2 − 1.5
    assert.equal(poolOnSettle(d, unres(3, true)), 0n); // tied: all refunded
    assert.equal(poolOnSettle({ ...base, reveals: 0 }, unres(0)), 0n); // no reveal: all refunded
  });

  it("a slash takes the bond, then the unlocked stake, then the unbonding amount", () => {
    const b = { stake: 1000n, locked: 300n, unbonding: 50n };
    // bond 100 + 10 % of (900 − 200 + 50) = 75: from the unlocked stake
    assert.deepEqual(afterSlash(b, 100n, 175n), { stake: 825n, locked: 200n, unbonding: 50n });
    // bond 100 + 100 % of 750: the unlocked 700, then 50 of unbonding
    assert.deepEqual(afterSlash(b, 100n, 850n), { stake: 200n, locked: 200n, unbonding: 0n });
    // an absent juror (no bond): 10 % of (1000 − 300 + 50)
    assert.deepEqual(afterSlash(b, 0n, 75n), { stake: 925n, locked: 300n, unbonding: 50n });
  });
});
