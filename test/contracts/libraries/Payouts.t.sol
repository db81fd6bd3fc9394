// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Payouts} from "../../../contracts/libraries/Payouts.sol";

/// @notice §6's arithmetic: conservation of the reward, verifier pay caps, the remainder-carrying accumulator.
contract PayoutsTest is Test {
    function test_split_defaults() public pure {
        (uint256 royalty, uint256 fee, uint256 w, uint256 rem) = Payouts.split(100 ether, 500, 2_000, 3);
        assertEq(royalty, 5 ether);
        assertEq(fee, 20 ether);
        assertEq(w, 25 ether);
        assertEq(rem, 0);
        (,, w, rem) = Payouts.split(100, 0, 0, 3);
        assertEq(w, 33);
        assertEq(rem, 1);
    }

    function testFuzz_split_conservesTheReward(uint128 reward, uint16 royaltyBps, uint16 feeBps, uint8 k) public pure {
        royaltyBps = uint16(bound(royaltyBps, 0, 2_000));
        feeBps = uint16(bound(feeBps, 0, 5_000));
        k = uint8(bound(k, 1, 10));
        (uint256 royalty, uint256 fee, uint256 w, uint256 rem) = Payouts.split(reward, royaltyBps, feeBps, k);
        assertEq(royalty + fee + w * k + rem, reward);
        assertLt(rem, k);
    }

    function testFuzz_verifierPay_neverAboveFeeOrShare(uint128 w, uint128 fee, uint16 v) public pure {
        uint256 pay = Payouts.verifierPay(w, fee, v);
        assertLe(pay * v, fee);
        assertLe(pay, w);
        if (v == 0) assertEq(pay, 0);
    }

    function test_bond_isMaxOfMinAndMultiple() public pure {
        assertEq(Payouts.bond(100 ether, 100, 25 ether), 2_500 ether);
        assertEq(Payouts.bond(100 ether, 100, 0.5 ether), 100 ether);
    }

    function testFuzz_accrue_losesNoWei(uint96[8] memory amounts, uint8 n) public pure {
        n = uint8(bound(n, 1, 60));
        uint256 perWinner;
        uint256 rem;
        uint256 total;
        for (uint256 i = 0; i < amounts.length; ++i) {
            (perWinner, rem) = Payouts.accrue(perWinner, rem, amounts[i], n);
            total += amounts[i];
            assertEq(perWinner * n + rem, total);
            assertLt(rem, n);
        }
    }
}
