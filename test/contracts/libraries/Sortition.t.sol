// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Sortition} from "../../../contracts/libraries/Sortition.sol";

/// @notice §4's sortition: ranks, the doubling seat threshold, and the measured eligible share over many seeds.
contract SortitionTest is Test {
    function test_seatThreshold_doublesEveryStepAndSaturates() public pure {
        assertEq(Sortition.seatThreshold(4, 3, 0, 1800), 12);
        assertEq(Sortition.seatThreshold(4, 3, 1799, 1800), 12);
        assertEq(Sortition.seatThreshold(4, 3, 1800, 1800), 24);
        assertEq(Sortition.seatThreshold(4, 3, 5 * 1800, 1800), 12 << 5);
        assertEq(Sortition.seatThreshold(4, 3, 255 * 1800, 1800), type(uint256).max);
        assertEq(Sortition.seatThreshold(64, 10, 252 * 60, 60), type(uint256).max, "640 << 252 overflows");
        assertEq(Sortition.seatThreshold(64, 10, 245 * 60, 60), 640 << 245);
    }

    function testFuzz_seatThreshold_neverOverflows(uint32 factor, uint8 k, uint64 elapsed, uint32 step) public pure {
        vm.assume(step > 0);
        uint256 t = Sortition.seatThreshold(factor, k, elapsed, step);
        uint256 s = uint256(elapsed) / step;
        if (s < 255 && uint256(factor) * k <= (type(uint256).max >> s)) assertEq(t, (uint256(factor) * k) << s);
        else assertTrue(t == type(uint256).max || uint256(factor) * k == 0);
    }

    function test_isSeatEligible_nobodyWithZeroNodes() public pure {
        assertFalse(Sortition.isSeatEligible(0, 0, 4, 3, 1e9, 1));
        assertEq(Sortition.rank(bytes32(0), address(1), 1, 0), type(uint256).max);
        assertFalse(Sortition.isDrawn(bytes32(0), address(1), 2, 0, 3));
    }

    function test_isDrawn_everybodyWhenCountAtMostExpected() public pure {
        for (uint160 i = 1; i < 50; ++i) assertTrue(Sortition.isDrawn(keccak256("s"), address(i), 3, 51, 51));
    }

    function test_before_ordersByRankThenAddress() public pure {
        assertTrue(Sortition.before(1, address(9), 2, address(1)));
        assertTrue(Sortition.before(2, address(1), 2, address(9)));
        assertFalse(Sortition.before(2, address(9), 2, address(9)));
    }

    /// @dev 100 compute nodes, 4 × 3 = 12 eligible expected at first: measured over 200 seeds (20,000 draws),
    ///      the share is within 10 % of 12 % (the binomial standard deviation is 2.3 % of the mean).
    function test_eligibleShare_matchesExpectedOdds() public pure {
        uint256 hits;
        uint256 count = 100;
        for (uint256 seedI = 0; seedI < 200; ++seedI) {
            bytes32 seed = Sortition.seedOf(keccak256(abi.encode(seedI)), seedI, 1);
            for (uint160 a = 1; a <= count; ++a) {
                uint256 r = Sortition.rank(seed, address(a * 7919), 1, count);
                if (Sortition.isSeatEligible(r, count, 4, 3, 0, 1800)) ++hits;
            }
        }
        assertApproxEqRel(hits, 2_400, 0.1e18);
    }

    /// @dev After one seat step the expected share doubles (24 %); the verifier lottery (3 of 30) gives 10 %.
    function test_eligibleShare_doublesAndVerifierOdds() public pure {
        uint256 seats;
        uint256 verifiers;
        for (uint256 seedI = 0; seedI < 100; ++seedI) {
            bytes32 seed = Sortition.seedOf(keccak256(abi.encode("x", seedI)), seedI, 1);
            for (uint160 a = 1; a <= 100; ++a) {
                uint256 r = Sortition.rank(seed, address(a), 1, 100);
                if (Sortition.isSeatEligible(r, 100, 4, 3, 1800, 1800)) ++seats;
                if (Sortition.isDrawn(seed, address(a), 2, 30, 3)) ++verifiers;
            }
        }
        assertApproxEqRel(seats, 2_400, 0.1e18);
        assertApproxEqRel(verifiers, 1_000, 0.15e18);
    }
}
