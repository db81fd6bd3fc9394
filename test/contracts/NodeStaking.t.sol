// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {NodeStaking} from "../../contracts/staking/NodeStaking.sol";
import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";
import {StakingBase, FakeTaskManager} from "./base/StakingBase.t.sol";

contract NodeStakingTest is StakingBase {
    // ------------------------------------------------------------ constructor

    function test_constructor_setsDefaults() public view {
        assertEq(staking.token(), address(token));
        assertEq(staking.owner(), owner);
        assertEq(staking.taskManager(), address(tm));
        assertEq(staking.minStake(), 10_000 ether);
        assertEq(staking.unbondingPeriod(), 7 days);
        _assertCounts(0, 0, 0);
    }

    function test_constructor_revertsOnZeroToken() public {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingZeroAddress.selector, "token"));
        new NodeStaking(address(0), owner);
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        new NodeStaking(address(token), address(0));
    }

    // ------------------------------------------------------------------ stake

    function test_stake_registersActiveNode() public {
        vm.prank(alice);
        staking.stake(MIN, BOTH, "https://alice.example/node.json");

        assertEq(staking.stakeOf(alice), MIN);
        assertEq(staking.lockedOf(alice), 0);
        assertEq(staking.unlockedOf(alice), MIN);
        assertEq(staking.rolesOf(alice), BOTH);
        assertEq(staking.metadataOf(alice), "https://alice.example/node.json");
        assertEq(staking.stakeThresholdOf(alice), MIN);
        assertTrue(staking.isActive(alice, 0));
        assertTrue(staking.isActive(alice, BOTH));
        assertEq(staking.activeSince(alice), T0);
        assertEq(staking.roleSince(alice, COMPUTE), T0);
        assertEq(staking.roleSince(alice, VALIDATOR), T0);
        assertEq(token.balanceOf(address(staking)), MIN);
        assertEq(token.balanceOf(alice), FUNDS - MIN);
        _assertCounts(1, 1, 1);
    }

    function test_stake_emitsStakedAndStatusChanged() public {
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.Staked(alice, MIN, COMPUTE, "ipfs://node");
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, COMPUTE, true, T0);
        _stake(alice, MIN, COMPUTE);
    }

    function test_stake_belowMinimumLeavesNodeInactive() public {
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, COMPUTE, false, 0);
        _stake(alice, MIN - 1, COMPUTE);

        assertEq(staking.stakeOf(alice), MIN - 1, "the stake is accepted");
        assertEq(token.balanceOf(address(staking)), MIN - 1);
        assertFalse(staking.isActive(alice, 0));
        assertEq(staking.activeSince(alice), 0);
        assertEq(staking.roleSince(alice, COMPUTE), 0);
        _assertCounts(0, 0, 0);
    }

    function test_stake_topUpActivatesBelowMinimumNode() public {
        _stake(alice, MIN / 2, VALIDATOR);
        vm.warp(T0 + 100);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, VALIDATOR, true, T0 + 100);
        _stake(alice, MIN / 2, VALIDATOR);

        assertEq(staking.stakeOf(alice), MIN);
        assertEq(staking.activeSince(alice), T0 + 100);
        assertEq(staking.roleSince(alice, VALIDATOR), T0 + 100);
        _assertCounts(1, 0, 1);
    }

    function test_stake_topUpKeepsClocksAndEmitsNoStatusChange() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 50);
        vm.recordLogs();
        _stake(alice, 1 ether, COMPUTE);
        assertEq(vm.getRecordedLogs().length, 2, "Staked and the token Transfer only");
        assertEq(staking.activeSince(alice), T0);
        assertEq(staking.roleSince(alice, COMPUTE), T0);
        assertEq(staking.stakeOf(alice), MIN + 1 ether);
        _assertCounts(1, 1, 0);
    }

    function test_stake_revertsOnZeroAmountWithoutStake() public {
        vm.expectRevert(INodeStaking.NodeStakingZeroAmount.selector);
        _stake(alice, 0, COMPUTE);
    }

    function test_stake_zeroAmountChangesRolesAndMetadata() public {
        _stake(alice, MIN, COMPUTE);
        vm.prank(alice);
        staking.stake(0, VALIDATOR, "ipfs://new");
        assertEq(staking.rolesOf(alice), VALIDATOR);
        assertEq(staking.metadataOf(alice), "ipfs://new");
        assertEq(staking.stakeOf(alice), MIN);
        _assertCounts(1, 0, 1);
    }

    function test_stake_revertsOnInvalidRoles() public {
        uint8[5] memory bad = [uint8(0), 4, 5, 7, 255];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, bad[i]));
            _stake(alice, MIN, bad[i]);
        }
    }

    function test_stake_revertsWithoutAllowance() public {
        address dave = makeAddr("dave");
        vm.prank(treasury);
        token.transfer(dave, MIN);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(staking), 0, MIN)
        );
        _stake(dave, MIN, COMPUTE);
        assertEq(staking.stakeOf(dave), 0);
    }

    // --------------------------------------------------------- role switching

    function test_stake_roleSwitchingUpdatesCountsAndClocks() public {
        _stake(alice, MIN, COMPUTE);
        _stake(bob, MIN, VALIDATOR);
        _assertCounts(2, 1, 1);

        vm.warp(T0 + 10);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, BOTH, true, T0);
        _stake(alice, 0, BOTH);
        _assertCounts(2, 1, 2);
        assertEq(staking.roleSince(alice, COMPUTE), T0, "kept role keeps its clock");
        assertEq(staking.roleSince(alice, VALIDATOR), T0 + 10, "added role starts its clock");

        vm.warp(T0 + 20);
        _stake(alice, 0, VALIDATOR);
        _assertCounts(2, 0, 2);
        assertEq(staking.roleSince(alice, COMPUTE), 0, "dropped role");
        assertEq(staking.roleSince(alice, VALIDATOR), T0 + 10);
        assertEq(staking.activeSince(alice), T0, "role changes do not restart the run");

        // The dropped role is in its cooldown for one unbonding period (PROTOCOL.md §1).
        vm.warp(T0 + 30);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingCooldown.selector, alice, T0 + 20 + 7 days));
        _stake(alice, 0, COMPUTE);

        vm.warp(T0 + 20 + 7 days);
        _stake(alice, 0, COMPUTE);
        _assertCounts(2, 1, 1);
        assertEq(staking.roleSince(alice, COMPUTE), T0 + 20 + 7 days, "re-added role restarts its clock");
        assertEq(staking.roleSince(alice, VALIDATOR), 0);
    }

    function test_stake_roleChangeWhileInactiveEmitsAndCountsNothing() public {
        _stake(alice, MIN - 1, COMPUTE);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, VALIDATOR, false, 0);
        _stake(alice, 0, VALIDATOR);
        _assertCounts(0, 0, 0);
        assertEq(staking.rolesOf(alice), VALIDATOR);
    }

    function test_isActive_checksEveryRoleBit() public {
        _stake(alice, MIN, COMPUTE);
        assertTrue(staking.isActive(alice, 0));
        assertTrue(staking.isActive(alice, COMPUTE));
        assertFalse(staking.isActive(alice, VALIDATOR));
        assertFalse(staking.isActive(alice, BOTH));
        assertFalse(staking.isActive(alice, 4));
        assertFalse(staking.isActive(bob, 0));
    }

    function test_roleSince_revertsOnInvalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, uint8(3)));
        staking.roleSince(alice, BOTH);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, uint8(0)));
        staking.roleSince(alice, 0);
    }

    function test_roleSince_zeroWhenInactive() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 5);
        _unstake(alice, 1);
        assertEq(staking.roleSince(alice, COMPUTE), 0);
        assertEq(staking.roleSince(alice, VALIDATOR), 0);
        assertEq(staking.activeSince(alice), 0);
    }

    // --------------------------------------------------------- requestUnstake

    function test_requestUnstake_movesToUnbonding() public {
        _stake(alice, 3 * MIN, COMPUTE);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.UnstakeRequested(alice, MIN, T0 + 7 days);
        _unstake(alice, MIN);

        assertEq(staking.stakeOf(alice), 2 * MIN);
        (uint256 amount, uint64 releaseTime) = staking.unbondingOf(alice);
        assertEq(amount, MIN);
        assertEq(releaseTime, T0 + 7 days);
        assertTrue(staking.isActive(alice, COMPUTE), "still above the minimum");
        assertEq(token.balanceOf(address(staking)), 3 * MIN, "unbonding stays in the contract");
    }

    function test_requestUnstake_revertsOnZeroAmount() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(INodeStaking.NodeStakingZeroAmount.selector);
        _unstake(alice, 0);
    }

    function test_requestUnstake_revertsAboveUnlocked() public {
        _stake(alice, 2 * MIN, COMPUTE);
        _lock(alice, MIN + 1);
        vm.expectRevert(
            abi.encodeWithSelector(INodeStaking.NodeStakingInsufficientUnlocked.selector, MIN, MIN - 1)
        );
        _unstake(alice, MIN);
        _unstake(alice, MIN - 1);
        assertEq(staking.stakeOf(alice), MIN + 1);
        assertEq(staking.unlockedOf(alice), 0);
    }

    function test_requestUnstake_revertsForUnknownNode() public {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInsufficientUnlocked.selector, 1, 0));
        _unstake(carol, 1);
    }

    function test_requestUnstake_restartsReleaseTimeOfWholeAmount() public {
        _stake(alice, 3 * MIN, COMPUTE);
        _unstake(alice, MIN);
        vm.warp(T0 + 6 days);
        _unstake(alice, 1 ether);
        (uint256 amount, uint64 releaseTime) = staking.unbondingOf(alice);
        assertEq(amount, MIN + 1 ether);
        assertEq(releaseTime, T0 + 13 days);
        vm.warp(T0 + 7 days);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, T0 + 13 days));
        vm.prank(alice);
        staking.withdrawUnbonded();
    }

    function test_requestUnstake_belowMinimumDeactivates() public {
        _stake(alice, MIN, BOTH);
        _stake(bob, MIN, COMPUTE);
        vm.warp(T0 + 60);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, BOTH, false, T0 + 60);
        _unstake(alice, 1);
        assertFalse(staking.isActive(alice, 0));
        _assertCounts(1, 1, 0);
    }

    // ------------------------------------------------------- withdrawUnbonded

    function test_withdrawUnbonded_paysAtReleaseTime() public {
        _stake(alice, 2 * MIN, COMPUTE);
        _unstake(alice, MIN);
        vm.warp(T0 + 7 days);
        uint256 before = token.balanceOf(alice);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.Unbonded(alice, MIN);
        vm.prank(alice);
        staking.withdrawUnbonded();
        assertEq(token.balanceOf(alice), before + MIN);
        assertEq(token.balanceOf(address(staking)), MIN);
        (uint256 amount, uint64 releaseTime) = staking.unbondingOf(alice);
        assertEq(amount, 0);
        assertEq(releaseTime, 0);
    }

    function test_withdrawUnbonded_revertsWhileUnbonding() public {
        _stake(alice, 2 * MIN, COMPUTE);
        _unstake(alice, MIN);
        vm.warp(T0 + 7 days - 1);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingStillUnbonding.selector, T0 + 7 days));
        vm.prank(alice);
        staking.withdrawUnbonded();
    }

    function test_withdrawUnbonded_revertsWhenNothingUnbonding() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(INodeStaking.NodeStakingNothingToWithdraw.selector);
        vm.prank(alice);
        staking.withdrawUnbonded();
    }

    function test_withdrawUnbonded_revertsOnSecondCall() public {
        _stake(alice, 2 * MIN, COMPUTE);
        _unstake(alice, MIN);
        vm.warp(T0 + 8 days);
        vm.prank(alice);
        staking.withdrawUnbonded();
        vm.expectRevert(INodeStaking.NodeStakingNothingToWithdraw.selector);
        vm.prank(alice);
        staking.withdrawUnbonded();
    }

    // -------------------------------------------------- lockBond / releaseBond

    function test_lockBond_locksUnlockedStake() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.BondLocked(alice, 100 ether);
        _lock(alice, 100 ether);
        assertEq(staking.lockedOf(alice), 100 ether);
        assertEq(staking.stakeOf(alice), MIN, "a bond stays in the stake");
        assertEq(staking.unlockedOf(alice), MIN - 100 ether);
    }

    function test_lockBond_revertsAboveUnlocked() public {
        _stake(alice, MIN, COMPUTE);
        _lock(alice, MIN - 5);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInsufficientUnlocked.selector, 6, 5));
        _lock(alice, 6);
        _lock(alice, 5);
        assertEq(staking.lockedOf(alice), MIN);
    }

    function test_lockBond_revertsForNonTaskManager() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNotTaskManager.selector, owner));
        vm.prank(owner);
        staking.lockBond(alice, 1);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNotTaskManager.selector, alice));
        vm.prank(alice);
        staking.lockBond(alice, 1);
    }

    function test_lockBond_revertsBeforeTaskManagerIsSet() public {
        NodeStaking fresh = new NodeStaking(address(token), owner);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNotTaskManager.selector, address(this)));
        fresh.lockBond(alice, 0);
    }

    function test_lockBond_isNotAStakeChange() public {
        _stake(alice, MIN, COMPUTE);
        vm.prank(owner);
        staking.setMinStake(2 * MIN);
        _lock(alice, MIN);
        _release(alice, MIN);
        assertTrue(staking.isActive(alice, COMPUTE), "still judged against the old minimum");
        assertEq(staking.stakeThresholdOf(alice), MIN);
        _assertCounts(1, 1, 0);
    }

    function test_releaseBond_unlocks() public {
        _stake(alice, MIN, COMPUTE);
        _lock(alice, 300 ether);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.BondReleased(alice, 200 ether);
        _release(alice, 200 ether);
        assertEq(staking.lockedOf(alice), 100 ether);
        assertEq(staking.unlockedOf(alice), MIN - 100 ether);
    }

    function test_releaseBond_revertsAboveLocked() public {
        _stake(alice, MIN, COMPUTE);
        _lock(alice, 100);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInsufficientLocked.selector, 101, 100));
        _release(alice, 101);
    }

    function test_releaseBond_revertsForNonTaskManager() public {
        _stake(alice, MIN, COMPUTE);
        _lock(alice, 100);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNotTaskManager.selector, alice));
        vm.prank(alice);
        staking.releaseBond(alice, 100);
    }

    // ------------------------------------------------------------------ slash

    function test_slash_takesBondThenUnlockedThenUnbonding() public {
        // stake 30,000 with 1,000 locked; 6,000 unbonding.
        _stake(alice, 36_000 ether, COMPUTE);
        _unstake(alice, 6_000 ether);
        _lock(alice, 1_000 ether);
        // bond 400 first; then 50 % of (29,600 - 600 + 6,000) = 17,500, all from the unlocked 29,000.
        uint256 slashed = _slash(alice, 400 ether, 5_000);
        assertEq(slashed, 17_900 ether);
        assertEq(staking.stakeOf(alice), 30_000 ether - 17_900 ether);
        assertEq(staking.lockedOf(alice), 600 ether);
        (uint256 unbonding,) = staking.unbondingOf(alice);
        assertEq(unbonding, 6_000 ether);
        assertEq(token.balanceOf(sink), 17_900 ether);
    }

    function test_slash_reachesIntoUnbondingWhenUnlockedRunsOut() public {
        _stake(alice, 20_000 ether, COMPUTE);
        _unstake(alice, 8_000 ether);
        _lock(alice, 10_000 ether);
        // stake 12,000 (10,000 locked), unbonding 8,000. bond 1,000, then 100 % of (11,000 - 9,000 + 8,000).
        uint256 slashed = _slash(alice, 1_000 ether, 10_000);
        assertEq(slashed, 11_000 ether);
        assertEq(staking.stakeOf(alice), 9_000 ether, "only the other bonds stay");
        assertEq(staking.lockedOf(alice), 9_000 ether);
        (uint256 unbonding,) = staking.unbondingOf(alice);
        assertEq(unbonding, 0);
        assertEq(token.balanceOf(address(staking)), 9_000 ether);
    }

    function test_slash_partialBpsSpillsIntoUnbonding() public {
        _stake(alice, 20_000 ether, COMPUTE);
        _unstake(alice, 10_000 ether);
        _lock(alice, 9_000 ether);
        // unlocked 1,000, unbonding 10,000: 50 % of 11,000 = 5,500 = 1,000 from stake + 4,500 from unbonding.
        uint256 slashed = _slash(alice, 0, 5_000);
        assertEq(slashed, 5_500 ether);
        assertEq(staking.stakeOf(alice), 9_000 ether);
        assertEq(staking.lockedOf(alice), 9_000 ether);
        (uint256 unbonding,) = staking.unbondingOf(alice);
        assertEq(unbonding, 5_500 ether);
    }

    function test_slash_capsBondAtLocked() public {
        _stake(alice, MIN, COMPUTE);
        _lock(alice, 100 ether);
        uint256 slashed = _slash(alice, 1_000 ether, 0);
        assertEq(slashed, 100 ether);
        assertEq(staking.lockedOf(alice), 0);
        assertEq(staking.stakeOf(alice), MIN - 100 ether);
    }

    function test_slash_unknownNodeTakesNothing() public {
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.Slashed(carol, 0, sink);
        assertEq(_slash(carol, 100 ether, 10_000), 0);
        assertEq(token.balanceOf(sink), 0);
    }

    function test_slash_emitsSlashedAndDeactivates() public {
        _stake(alice, MIN, VALIDATOR);
        _lock(alice, 100 ether);
        vm.warp(T0 + 9);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.Slashed(alice, 100 ether + (MIN - 100 ether) / 10, sink);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, VALIDATOR, false, T0 + 9);
        _slash(alice, 100 ether, 1_000);
        _assertCounts(0, 0, 0);
        assertEq(staking.activeSince(alice), 0);
    }

    function test_slash_reevaluatesAgainstCurrentMinStake() public {
        _stake(alice, 3 * MIN, COMPUTE);
        vm.prank(owner);
        staking.setMinStake(MIN / 2);
        _stake(bob, MIN / 2, COMPUTE);
        // A slash of nothing is still a stake change: alice is judged against the new minimum and stops.
        vm.prank(owner);
        staking.setMinStake(4 * MIN);
        _slash(alice, 0, 0);
        assertFalse(staking.isActive(alice, 0));
        assertTrue(staking.isActive(bob, 0), "bob keeps the minimum of his last stake change");
        _assertCounts(1, 1, 0);
    }

    function test_slash_revertsForNonTaskManager() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingNotTaskManager.selector, bob));
        vm.prank(bob);
        staking.slash(alice, 0, 10_000, bob);
    }

    function test_slash_revertsAboveMaxBps() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(
            abi.encodeWithSelector(INodeStaking.NodeStakingParameterOutOfBounds.selector, "bps", uint256(10_001))
        );
        _slash(alice, 0, 10_001);
    }

    function test_slash_revertsOnZeroRecipient() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingZeroAddress.selector, "to"));
        vm.prank(address(tm));
        staking.slash(alice, 0, 10_000, address(0));
    }

    // --------------------------------------------------------- setTaskManager

    function test_setTaskManager_setsOnceAndEmits() public {
        NodeStaking fresh = new NodeStaking(address(token), owner);
        vm.expectEmit(true, true, true, true, address(fresh));
        emit INodeStaking.TaskManagerSet(address(tm));
        vm.prank(owner);
        fresh.setTaskManager(address(tm));
        assertEq(fresh.taskManager(), address(tm));
    }

    function test_setTaskManager_revertsSecondCall() public {
        FakeTaskManager other = new FakeTaskManager();
        vm.expectRevert(INodeStaking.NodeStakingTaskManagerAlreadySet.selector);
        vm.prank(owner);
        staking.setTaskManager(address(other));
        assertEq(staking.taskManager(), address(tm));
    }

    function test_setTaskManager_revertsForNonOwner() public {
        NodeStaking fresh = new NodeStaking(address(token), owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        fresh.setTaskManager(address(tm));
    }

    function test_setTaskManager_revertsOnZero() public {
        NodeStaking fresh = new NodeStaking(address(token), owner);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingZeroAddress.selector, "taskManager"));
        vm.prank(owner);
        fresh.setTaskManager(address(0));
    }

    function test_setTaskManager_doesNotReadTheTaskManagersWindows() public {
        // v4: the fixed bounds of PROTOCOL.md §3 replace v3's cross-check, so any address (even one without code)
        // is accepted and the windows of a fake TaskManager are never read.
        NodeStaking fresh = new NodeStaking(address(token), owner);
        FakeTaskManager slow = new FakeTaskManager();
        slow.setWindows(5 days, 2 days); // v3 refused it: 7 days < 5 + 2 + 1 days
        vm.prank(owner);
        fresh.setTaskManager(address(slow));
        assertEq(fresh.taskManager(), address(slow));
        NodeStaking other = new NodeStaking(address(token), owner);
        vm.prank(owner);
        other.setTaskManager(makeAddr("no code"));
    }

    // ------------------------------------------------------------ setMinStake

    function test_setMinStake_appliesAtNextStakeChange() public {
        _stake(alice, MIN, COMPUTE);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.MinStakeSet(2 * MIN);
        vm.prank(owner);
        staking.setMinStake(2 * MIN);

        assertTrue(staking.isActive(alice, COMPUTE), "judged against the minimum of its last stake change");
        _assertCounts(1, 1, 0);

        vm.warp(T0 + 1);
        _stake(bob, MIN, COMPUTE);
        assertFalse(staking.isActive(bob, 0), "a new stake change uses the new minimum");

        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.NodeStatusChanged(alice, COMPUTE, false, T0 + 1);
        _stake(alice, 1, COMPUTE);
        assertFalse(staking.isActive(alice, 0));
        assertEq(staking.stakeThresholdOf(alice), 2 * MIN);
        _assertCounts(0, 0, 0);
    }

    function test_setMinStake_loweredActivatesAtNextStakeChange() public {
        _stake(alice, MIN / 2, VALIDATOR);
        vm.prank(owner);
        staking.setMinStake(MIN / 4);
        assertFalse(staking.isActive(alice, 0));
        _stake(alice, 0, VALIDATOR);
        assertTrue(staking.isActive(alice, VALIDATOR));
        _assertCounts(1, 0, 1);
    }

    function test_setMinStake_revertsOutOfBounds() public {
        vm.startPrank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(INodeStaking.NodeStakingParameterOutOfBounds.selector, "minStake", uint256(0))
        );
        staking.setMinStake(0);
        uint256 tooBig = uint256(type(uint128).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(INodeStaking.NodeStakingParameterOutOfBounds.selector, "minStake", tooBig)
        );
        staking.setMinStake(tooBig);
        vm.stopPrank();
        assertEq(staking.minStake(), MIN);
    }

    function test_setMinStake_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        staking.setMinStake(1);
    }

    // ------------------------------------------------------- setUnbondingPeriod

    function test_setUnbondingPeriod_fixedBoundsSevenTo365Days() public {
        // PROTOCOL.md §3: 7 .. 365 days, whatever the TaskManager's windows (v3 read them: 45 h and 48 h passed).
        tm.setWindows(30 hours, 10 hours);
        vm.startPrank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingParameterOutOfBounds.selector, "unbondingPeriod", uint256(48 hours)
            )
        );
        staking.setUnbondingPeriod(48 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingParameterOutOfBounds.selector, "unbondingPeriod", uint256(7 days - 1)
            )
        );
        staking.setUnbondingPeriod(7 days - 1);
        vm.expectEmit(true, true, true, true, address(staking));
        emit INodeStaking.UnbondingPeriodSet(7 days);
        staking.setUnbondingPeriod(7 days);
        assertEq(staking.unbondingPeriod(), 7 days);
        staking.setUnbondingPeriod(365 days);
        assertEq(staking.unbondingPeriod(), 365 days);
        vm.stopPrank();
        assertEq(staking.MIN_UNBONDING_PERIOD(), 7 days);
        assertEq(staking.MAX_UNBONDING_PERIOD(), 365 days);
    }

    function test_setUnbondingPeriod_sameBoundsBeforeTaskManagerIsSet() public {
        NodeStaking fresh = new NodeStaking(address(token), owner);
        vm.startPrank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingParameterOutOfBounds.selector, "unbondingPeriod", uint256(7 days - 1)
            )
        );
        fresh.setUnbondingPeriod(7 days - 1);
        fresh.setUnbondingPeriod(7 days);
        vm.stopPrank();
        assertEq(fresh.unbondingPeriod(), 7 days);
    }

    function test_setUnbondingPeriod_revertsAboveMax() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingParameterOutOfBounds.selector, "unbondingPeriod", uint256(365 days + 1)
            )
        );
        vm.prank(owner);
        staking.setUnbondingPeriod(365 days + 1);
    }

    function test_setUnbondingPeriod_revertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        vm.prank(alice);
        staking.setUnbondingPeriod(10 days);
    }

    function test_setUnbondingPeriod_appliesToNewRequests() public {
        _stake(alice, 3 * MIN, COMPUTE);
        _unstake(alice, 1 ether);
        vm.prank(owner);
        staking.setUnbondingPeriod(30 days);
        (, uint64 releaseTime) = staking.unbondingOf(alice);
        assertEq(releaseTime, T0 + 7 days, "an open request keeps its release time");
        _unstake(alice, 1 ether);
        (, releaseTime) = staking.unbondingOf(alice);
        assertEq(releaseTime, T0 + 30 days);
    }

    // ---------------------------------------------------------- Ownable2Step

    function test_transferOwnership_needsAcceptance() public {
        vm.prank(owner);
        staking.transferOwnership(alice);
        assertEq(staking.owner(), owner);
        vm.prank(alice);
        staking.acceptOwnership();
        assertEq(staking.owner(), alice);
        vm.prank(alice);
        staking.setMinStake(1 ether);
        assertEq(staking.minStake(), 1 ether);
    }

    // ------------------------------------------------------------- eligibleAt

    function test_eligibleAt_trueForNodeActiveBeforeCreation() public {
        _stake(alice, MIN, BOTH);
        assertTrue(staking.eligibleAt(alice, COMPUTE, T0 + 1, T0 + 1));
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 1, T0 + 100));
    }

    function test_eligibleAt_falseWhenActivatedAtOrAfterCreation() public {
        _stake(alice, MIN, VALIDATOR);
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0, T0 + 100), "same second as createdAt");
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0 - 1, T0 + 100));
    }

    function test_eligibleAt_falseForRoleNotHeldOrAddedAfterCreation() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 10);
        _stake(alice, 0, BOTH);
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0 + 5, T0 + 20), "role switched on after createdAt");
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 11, T0 + 20));
        assertTrue(staking.eligibleAt(alice, COMPUTE, T0 + 5, T0 + 20));
        assertFalse(staking.eligibleAt(bob, COMPUTE, T0 + 5, T0 + 20), "never staked");
    }

    function test_eligibleAt_leavingAfterAtDoesNotEscape() public {
        _stake(alice, MIN, VALIDATOR);
        uint64 createdAt = T0 + 10;
        uint64 disputedAt = T0 + 100;
        vm.warp(T0 + 200);
        _unstake(alice, MIN); // stops after the dispute
        assertFalse(staking.isActive(alice, 0));
        assertTrue(staking.eligibleAt(alice, VALIDATOR, createdAt, disputedAt));
        assertFalse(staking.eligibleAt(alice, VALIDATOR, createdAt, T0 + 200), "an end at `at` counts");
        assertFalse(staking.eligibleAt(alice, VALIDATOR, createdAt, T0 + 300));
    }

    function test_eligibleAt_droppingRoleAfterAtDoesNotEscape() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 200);
        _stake(alice, 0, COMPUTE); // drops VALIDATOR after the dispute at T0 + 100
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 10, T0 + 100));
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0 + 10, T0 + 200));
        assertTrue(staking.eligibleAt(alice, COMPUTE, T0 + 10, T0 + 200));
    }

    function test_eligibleAt_stopKeepsRecordThroughTheCooldown() public {
        _stake(alice, MIN, VALIDATOR);
        vm.warp(T0 + 200);
        _unstake(alice, 1);
        vm.warp(T0 + 300);
        // v3 let the node restart here and forget the run that covered a dispute at T0 + 100.
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingCooldown.selector, alice, T0 + 200 + 7 days));
        _stake(alice, 1, VALIDATOR);
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 10, T0 + 100), "the record stays");

        // After the cooldown (longer than any task's liabilities) the new run replaces the record.
        vm.warp(T0 + 200 + 7 days);
        _stake(alice, 1, VALIDATOR);
        assertTrue(staking.isActive(alice, VALIDATOR));
        assertEq(staking.activeSince(alice), T0 + 200 + 7 days);
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0 + 10, T0 + 100));
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 201 + 7 days, T0 + 300 + 7 days));
    }

    function test_eligibleAt_newRunForgetsRolesItDoesNotHold() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 10);
        _unstake(alice, 1);
        _stake(alice, 0, COMPUTE);
        vm.warp(T0 + 20 + 7 days);
        _stake(alice, 1, COMPUTE);
        uint64 t = T0 + 30 + 7 days;
        assertFalse(staking.eligibleAt(alice, VALIDATOR, t, t));
        assertTrue(staking.eligibleAt(alice, COMPUTE, t, t));
    }

    function test_eligibleAt_revertsOnInvalidRole() public {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, uint8(3)));
        staking.eligibleAt(alice, BOTH, T0, T0);
    }
}
