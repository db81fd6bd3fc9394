// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";
import {StakingHandler} from "./StakingHandler.sol";

/// @notice Invariants of NodeStaking under random lifecycles (StakingHandler): token conservation against the ghost
///         sums, locked <= stake, and the O(1) active counts against a brute-force count over the actors.
contract StakingInvariantTest is Test {
    StakingHandler internal handler;
    NodeStaking internal staking;

    function setUp() public {
        vm.warp(1_700_000_000);
        handler = new StakingHandler();
        handler.init();
        staking = handler.staking();
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = StakingHandler.stake.selector;
        selectors[1] = StakingHandler.requestUnstake.selector;
        selectors[2] = StakingHandler.withdrawUnbonded.selector;
        selectors[3] = StakingHandler.warp.selector;
        selectors[4] = StakingHandler.lockBond.selector;
        selectors[5] = StakingHandler.releaseBond.selector;
        selectors[6] = StakingHandler.slash.selector;
        selectors[7] = StakingHandler.setMinStake.selector;
        selectors[8] = StakingHandler.stake.selector; // staking twice as often keeps nodes around
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev OMNIT held by NodeStaking == Σ stakes + Σ unbonding == staked - withdrawn - slashed.
    function invariant_tokenHeldEqualsStakesPlusUnbonding() public view {
        address[] memory actors = handler.actors();
        uint256 sum;
        for (uint256 i = 0; i < actors.length; ++i) {
            (uint256 unbonding,) = staking.unbondingOf(actors[i]);
            sum += staking.stakeOf(actors[i]) + unbonding;
        }
        uint256 held = handler.token().balanceOf(address(staking));
        assertEq(held, sum, "held == sum of stakes + unbonding");
        assertEq(held, handler.ghostStaked() - handler.ghostWithdrawn() - handler.ghostSlashed(), "ghost sums");
        assertEq(handler.token().balanceOf(handler.slashSink()), handler.ghostSlashed(), "slashed went to `to`");
    }

    /// @dev Σ locked <= Σ stake (and per node), and Σ locked equals what the fake TaskManager holds locked.
    function invariant_lockedNeverExceedsStake() public view {
        address[] memory actors = handler.actors();
        uint256 locked;
        uint256 staked;
        for (uint256 i = 0; i < actors.length; ++i) {
            uint256 l = staking.lockedOf(actors[i]);
            uint256 s = staking.stakeOf(actors[i]);
            assertLe(l, s, "locked <= stake per node");
            locked += l;
            staked += s;
        }
        assertLe(locked, staked, "sum locked <= sum stake");
        assertEq(locked, handler.ghostLockedNow(), "locked == locked - released - slashed bonds");
    }

    /// @dev The O(1) counts equal a brute-force count, and activity matches each node's threshold.
    function invariant_activeCountsMatchBruteForce() public view {
        address[] memory actors = handler.actors();
        uint256 nodes;
        uint256 compute;
        uint256 validators;
        for (uint256 i = 0; i < actors.length; ++i) {
            address a = actors[i];
            bool active = staking.isActive(a, 0);
            uint256 threshold = staking.stakeThresholdOf(a);
            assertEq(active, threshold != 0 && staking.stakeOf(a) >= threshold, "active == stake >= threshold");
            assertEq(staking.activeSince(a) != 0, active, "activeSince set iff active");
            if (!active) continue;
            ++nodes;
            uint8 roles = staking.rolesOf(a);
            if ((roles & 1) != 0) {
                ++compute;
                assertGt(staking.roleSince(a, 1), 0);
                assertGe(staking.roleSince(a, 1), staking.activeSince(a), "role clock within the run");
            }
            if ((roles & 2) != 0) {
                ++validators;
                assertGt(staking.roleSince(a, 2), 0);
                assertGe(staking.roleSince(a, 2), staking.activeSince(a), "role clock within the run");
            }
        }
        assertEq(staking.activeNodeCount(), nodes, "activeNodeCount");
        assertEq(staking.activeComputeCount(), compute, "activeComputeCount");
        assertEq(staking.activeValidatorCount(), validators, "activeValidatorCount");
    }
}
