// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Consensus} from "../../../contracts/libraries/Consensus.sol";

/// @notice The §5 rule and its incremental tally against a brute-force reference over random vote vectors.
contract ConsensusTest is Test {
    /// @dev Brute force: counts per hash (4 possible hashes), the top count, whether it is shared.
    function _reference(uint8[] memory votes) internal pure returns (uint256 n, uint256 m, bool tied, uint8 top) {
        uint256[4] memory counts;
        for (uint256 i = 0; i < votes.length; ++i) ++counts[votes[i] % 4];
        for (uint8 h = 0; h < 4; ++h) {
            if (counts[h] > n) (n, top, tied) = (counts[h], h, false);
            else if (counts[h] == n && n != 0) tied = true;
        }
        m = votes.length - n;
    }

    function _hash(uint8 h) internal pure returns (bytes32) {
        return keccak256(abi.encode("hash", h % 4));
    }

    function testFuzz_tally_matchesBruteForce(uint8[] memory votes) public pure {
        vm.assume(votes.length <= 64);
        uint256[4] memory counts;
        bytes32 leader;
        uint256 n;
        bool tied;
        for (uint256 i = 0; i < votes.length; ++i) {
            uint8 h = votes[i] % 4;
            ++counts[h];
            (leader, n, tied) = Consensus.tally(leader, n, tied, _hash(h), counts[h]);
        }
        (uint256 rn,, bool rtied, uint8 top) = _reference(votes);
        assertEq(n, rn, "n");
        assertEq(tied, rtied, "tied");
        if (!rtied && rn > 0) assertEq(leader, _hash(top), "leader");
    }

    function testFuzz_accepts_matchesReference(uint8[] memory votes, bool disputed, uint8 extra) public pure {
        vm.assume(votes.length <= 64);
        (uint256 n, uint256 m, bool tied,) = _reference(votes);
        uint256 a = votes.length + extra; // the nodes called to the vote are at least those that revealed
        bool got = Consensus.accepts(disputed, n, m, tied, a);
        bool want;
        if (n == 0 || tied) want = false;
        else if (!disputed) want = m == 0;
        else want = n > 10 * m || n > (a * 66) / 100; // n > min(x, y) ⟺ n > x or n > y
        assertEq(got, want);
    }

    function test_accepts_examples() public pure {
        // undisputed: unanimity
        assertTrue(Consensus.accepts(false, 3, 0, false, 0));
        assertFalse(Consensus.accepts(false, 3, 1, false, 0));
        assertFalse(Consensus.accepts(false, 0, 0, false, 0));
        // disputed: with m = 0 the rule reads n > 0
        assertTrue(Consensus.accepts(true, 1, 0, false, 1000));
        // 11 of 51 + 3 + 3 = 57 called, 1 dissent: n > min(10, 37) needs 11
        assertFalse(Consensus.accepts(true, 10, 1, false, 57));
        assertTrue(Consensus.accepts(true, 11, 1, false, 57));
        // 66 % term binds: 100 called, 20 dissent: n > min(200, 66) needs 67
        assertFalse(Consensus.accepts(true, 66, 20, false, 100));
        assertTrue(Consensus.accepts(true, 67, 20, false, 100));
        // a tie never finalizes
        assertFalse(Consensus.accepts(true, 5, 5, true, 3));
    }

    function test_voteSize_countsTheCalled() public pure {
        assertEq(Consensus.voteSize(3, 2, 51, 1000, 4), 3 + 2 + 51);
        assertEq(Consensus.voteSize(3, 2, 51, 20, 4), 3 + 2 + 16);
        assertEq(Consensus.voteSize(3, 2, 51, 3, 4), 5, "p > V saturates");
    }

    function test_tally_tieThenBreak() public pure {
        bytes32 a = keccak256("a");
        bytes32 b = keccak256("b");
        (bytes32 lead, uint256 n, bool t) = Consensus.tally(bytes32(0), 0, false, a, 1);
        (lead, n, t) = Consensus.tally(lead, n, t, b, 1);
        assertTrue(t);
        assertEq(lead, a);
        (lead, n, t) = Consensus.tally(lead, n, t, b, 2);
        assertFalse(t);
        assertEq(lead, b);
        assertEq(n, 2);
    }
}
