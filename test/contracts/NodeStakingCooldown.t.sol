// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {StakingBase} from "./base/StakingBase.t.sol";
import {TaskManagerBase} from "./base/TaskManagerBase.t.sol";

/// @notice The cooldown of PROTOCOL.md §1 (v4): a node that stops being active, or drops a role, cannot come back
///         before `unbondingPeriod` has passed since the stop or the drop. Every test here fails on v3's NodeStaking,
///         which let a node restart or re-add a role at once.
contract NodeStakingCooldownTest is StakingBase {
    uint64 internal constant PERIOD = 7 days;

    function _expectCooldown(address node, uint64 until) internal {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingCooldown.selector, node, until));
    }

    // ------------------------------------------------------------ stop, restart

    function test_stake_restartAfterUnstakeWaitsOneUnbondingPeriod() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 100);
        _unstake(alice, 1); // stops
        uint64 until = T0 + 100 + PERIOD;
        assertEq(staking.cooldownUntil(alice, COMPUTE), until);

        _expectCooldown(alice, until);
        _stake(alice, 1, BOTH);
        vm.warp(until - 1);
        _expectCooldown(alice, until);
        _stake(alice, 1, COMPUTE); // any roles: a stop ends every role held
        assertEq(staking.stakeOf(alice), MIN - 1, "nothing was added");

        vm.warp(until); // "at or after"
        assertEq(staking.cooldownUntil(alice, BOTH), 0);
        _stake(alice, 1, BOTH);
        assertTrue(staking.isActive(alice, BOTH));
        assertEq(staking.activeSince(alice), until);
        assertEq(staking.roleSince(alice, VALIDATOR), until);
        _assertCounts(1, 1, 1);
    }

    function test_stake_belowMinimumTopUpDuringCooldownIsAccepted() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 10);
        _unstake(alice, MIN / 2);
        // Adding stake that leaves the node inactive restarts nothing: accepted, and roles may change.
        _stake(alice, 1 ether, VALIDATOR);
        assertEq(staking.stakeOf(alice), MIN / 2 + 1 ether);
        assertEq(staking.rolesOf(alice), VALIDATOR);
        assertFalse(staking.isActive(alice, 0));
        _assertCounts(0, 0, 0);
    }

    function test_stake_cooldownUsesThePeriodInForceAtTheCall() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 10);
        _unstake(alice, 1);
        vm.prank(owner);
        staking.setUnbondingPeriod(30 days);
        vm.warp(T0 + 10 + 7 days);
        _expectCooldown(alice, T0 + 10 + 30 days);
        _stake(alice, 1, COMPUTE);
        vm.prank(owner);
        staking.setUnbondingPeriod(7 days);
        _stake(alice, 1, COMPUTE);
        assertTrue(staking.isActive(alice, COMPUTE));
    }

    function test_slash_belowMinStakeStartsTheCooldown() public {
        _stake(alice, MIN, VALIDATOR);
        vm.warp(T0 + 50);
        _slash(alice, 0, 1_000); // 10 %: below the minimum, stops
        assertFalse(staking.isActive(alice, 0));
        vm.warp(T0 + 60);
        _expectCooldown(alice, T0 + 50 + PERIOD);
        _stake(alice, MIN, VALIDATOR);
        vm.warp(T0 + 50 + PERIOD);
        _stake(alice, MIN, VALIDATOR);
        assertEq(staking.activeSince(alice), T0 + 50 + PERIOD);
    }

    function test_stake_leftBelowARaisedMinStakeStartsTheCooldown() public {
        _stake(alice, MIN, COMPUTE);
        vm.prank(owner);
        staking.setMinStake(2 * MIN);
        vm.warp(T0 + 40);
        // A top-up too small for the new minimum is accepted and stops the node at once.
        _stake(alice, MIN / 2, COMPUTE);
        assertFalse(staking.isActive(alice, 0));
        vm.warp(T0 + 41);
        _expectCooldown(alice, T0 + 40 + PERIOD);
        _stake(alice, MIN / 2, COMPUTE);
        vm.warp(T0 + 40 + PERIOD);
        _stake(alice, MIN / 2, COMPUTE);
        assertTrue(staking.isActive(alice, COMPUTE));
    }

    function test_stake_topUpToARaisedMinStakeInOneCallKeepsTheRun() public {
        _stake(alice, MIN, BOTH);
        vm.prank(owner);
        staking.setMinStake(2 * MIN);
        vm.warp(T0 + 40);
        _stake(alice, MIN, BOTH); // judged against 2 * MIN: still active, no stop, no cooldown
        assertTrue(staking.isActive(alice, BOTH));
        assertEq(staking.activeSince(alice), T0, "the run goes on");
        assertEq(staking.roleSince(alice, VALIDATOR), T0);
        assertEq(staking.cooldownUntil(alice, BOTH), 0);
    }

    function test_stake_firstStakeAndNeverActiveNodesHaveNoCooldown() public {
        assertEq(staking.cooldownUntil(alice, BOTH), 0);
        _stake(alice, MIN - 1, COMPUTE); // inactive from the start: it never stopped
        _stake(alice, 1, BOTH);
        assertTrue(staking.isActive(alice, BOTH));
        _stake(bob, MIN, VALIDATOR);
        assertTrue(staking.isActive(bob, VALIDATOR));
    }

    /// @dev requestUnstake and slash never revert for a cooldown. After a lowered minStake they could make a node in
    ///      its cooldown active: it stays inactive and keeps the threshold it is judged by.
    function test_requestUnstakeAndSlash_neverRestartANodeInItsCooldown() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 10);
        _unstake(alice, MIN / 2); // stops: 5,000 left
        vm.prank(owner);
        staking.setMinStake(MIN / 4);
        vm.warp(T0 + 20);
        _unstake(alice, 1 ether); // 4,999 >= 2,500, but in its cooldown
        assertFalse(staking.isActive(alice, 0));
        assertEq(staking.stakeThresholdOf(alice), MIN, "still judged by the threshold of its stop");
        _slash(alice, 0, 100);
        assertFalse(staking.isActive(alice, 0));
        assertEq(staking.activeSince(alice), 0);
        _assertCounts(0, 0, 0);
        _expectCooldown(alice, T0 + 10 + PERIOD);
        _stake(alice, 0, BOTH);

        vm.warp(T0 + 10 + PERIOD);
        _unstake(alice, 1 ether); // now a stake change restarts it, as before v4
        assertTrue(staking.isActive(alice, BOTH));
        assertEq(staking.stakeThresholdOf(alice), MIN / 4);
        _assertCounts(1, 1, 1);
    }

    // -------------------------------------------------------------------- roles

    function test_stake_droppedRoleWaitsOneUnbondingPeriod() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 20);
        _stake(alice, 0, COMPUTE); // drops VALIDATOR
        uint64 until = T0 + 20 + PERIOD;
        assertEq(staking.cooldownUntil(alice, VALIDATOR), until);
        assertEq(staking.cooldownUntil(alice, BOTH), until);
        assertEq(staking.cooldownUntil(alice, COMPUTE), 0, "a role still held is never in cooldown");

        vm.warp(until - 1);
        _expectCooldown(alice, until);
        _stake(alice, 0, BOTH);
        _expectCooldown(alice, until);
        _stake(alice, MIN, BOTH); // adding stake does not help
        assertEq(staking.rolesOf(alice), COMPUTE);

        // Top-ups and metadata changes with the roles held are never refused.
        _stake(alice, 0, COMPUTE);
        _stake(alice, 1 ether, COMPUTE);

        vm.warp(until);
        _stake(alice, 0, BOTH);
        assertEq(staking.roleSince(alice, VALIDATOR), until, "its clock starts again");
        assertEq(staking.roleSince(alice, COMPUTE), T0, "the other role keeps its clock");
        assertEq(staking.activeSince(alice), T0);
        _assertCounts(1, 1, 1);
    }

    function test_stake_roleNeverHeldInTheRunIsAddedAtOnce() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 5);
        _stake(alice, 0, BOTH); // VALIDATOR was never held: allowed, its clock starts now
        assertEq(staking.roleSince(alice, VALIDATOR), T0 + 5);
        assertFalse(staking.eligibleAt(alice, VALIDATOR, T0 + 5, T0 + 6), "not for tasks created before");
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 6, T0 + 6));
    }

    function test_stake_switchingRolesAtOnceIsRefused() public {
        _stake(alice, MIN, COMPUTE);
        vm.warp(T0 + 5);
        _stake(alice, 0, VALIDATOR); // swap: COMPUTE dropped, VALIDATOR (never held) added
        vm.warp(T0 + 6);
        _expectCooldown(alice, T0 + 5 + PERIOD);
        _stake(alice, 0, COMPUTE); // swapping back would re-add COMPUTE
        _expectCooldown(alice, T0 + 5 + PERIOD);
        _stake(alice, 0, BOTH);
    }

    function test_stake_inactiveNodeMayChangeRolesButNotRestart() public {
        _stake(alice, MIN, VALIDATOR);
        vm.warp(T0 + 30);
        _unstake(alice, 1);
        _stake(alice, 0, COMPUTE);
        _stake(alice, 0, VALIDATOR); // roles of an inactive node hold no place: no cooldown of its own
        assertEq(staking.rolesOf(alice), VALIDATOR);
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 1, T0 + 29), "the last run's record is intact");
        _expectCooldown(alice, T0 + 30 + PERIOD);
        _stake(alice, 1, VALIDATOR);
    }

    function test_stake_roleDroppedBeforeAStopFollowsTheStop() public {
        _stake(alice, MIN, BOTH);
        vm.warp(T0 + 10);
        _stake(alice, 0, COMPUTE); // VALIDATOR dropped at T0 + 10
        vm.warp(T0 + 20);
        _unstake(alice, 1); // stopped at T0 + 20
        vm.warp(T0 + 10 + PERIOD);
        _expectCooldown(alice, T0 + 20 + PERIOD);
        _stake(alice, 1, BOTH);
        vm.warp(T0 + 20 + PERIOD);
        _stake(alice, 1, BOTH);
        assertEq(staking.roleSince(alice, VALIDATOR), T0 + 20 + PERIOD);
        assertEq(staking.cooldownUntil(alice, BOTH), 0);
    }

    function test_cooldownUntil_revertsOnInvalidRoles() public {
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, uint8(0)));
        staking.cooldownUntil(alice, 0);
        vm.expectRevert(abi.encodeWithSelector(INodeStaking.NodeStakingInvalidRoles.selector, uint8(4)));
        staking.cooldownUntil(alice, 4);
    }

    // ---------------------------------------------- audit M-1, NodeStaking side

    /// @dev Regression of the audit's M-1 (PoC test_poc_M2_absentJurorEscapesBySwitchingItsRoleOffAndOn), at the
    ///      staking level: the off-and-on toggle now reverts, and the record of the dispute's time stays true.
    function test_stake_roleToggleCannotEraseTheRecord() public {
        _stake(alice, MIN, VALIDATOR);
        uint64 createdAt = T0 + 10;
        uint64 disputedAt = T0 + 20;
        vm.warp(T0 + 30);
        _stake(alice, 0, COMPUTE); // off
        _expectCooldown(alice, T0 + 30 + PERIOD);
        _stake(alice, 0, VALIDATOR); // and on again: refused
        assertTrue(staking.eligibleAt(alice, VALIDATOR, createdAt, disputedAt), "still a juror of that dispute");
    }

    /// @dev The other free escape of v3: stop (unstake 1 wei) and restart at once.
    function test_stake_stopAndRestartCannotEraseTheRecord() public {
        _stake(alice, MIN, VALIDATOR);
        vm.warp(T0 + 30);
        _unstake(alice, 1);
        _expectCooldown(alice, T0 + 30 + PERIOD);
        _stake(alice, 1, VALIDATOR);
        assertTrue(staking.eligibleAt(alice, VALIDATOR, T0 + 10, T0 + 20));
    }
}

/// @notice Regression of the audit's M-1 role-toggle escape (PoC test_poc_M2_absentJurorEscapesBySwitchingItsRoleOffAndOn)
///         against the real TaskManager: switching VALIDATOR off and on now reverts NodeStakingCooldown, so a drawn
///         juror that stays away keeps its record and stays liquidatable.
contract NodeStakingCooldownTaskTest is TaskManagerBase {
    function test_M1_absentJurorCannotEscapeBySwitchingItsRoleOffAndOn() public {
        _stakeNodes(3, 6);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        uint256 id = _createTask(REWARD, 1);
        address seat = _byRank(id)[0];
        _commit(id, seat, GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        tm.fixSeed(id, 3); // the jury seed stored in time, as the bots do: absent jurors are liable (§4.6)
        address[] memory js = _jurors(id);
        assertGe(js.length, 1, "setup: a juror");
        address dodger = js[0];
        skip(1); // a later second than the dispute (an end at the dispute's own second counts as before it)

        // The toggle of the PoC: off is allowed (and recorded), on again is refused for one unbonding period.
        vm.startPrank(dodger);
        staking.stake(0, COMPUTE, "ipfs://node");
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingCooldown.selector, dodger, uint64(block.timestamp + staking.unbondingPeriod())
            )
        );
        staking.stake(0, VALIDATOR, "ipfs://node");
        vm.stopPrank();
        assertFalse(staking.isActive(dodger, VALIDATOR));

        _toCommitEnd(id);
        _reveal(id, seat, GOOD);
        _toRevealEnd(id);
        tm.finalize(id);

        // The opposite of the PoC's assertions: the dodger is liquidatable and loses its stake share.
        assertTrue(tm.isLiquidatable(id, dodger), "the absent juror is still liable");
        vm.prank(stranger);
        tm.liquidate(id, dodger);
        assertLt(staking.stakeOf(dodger), STAKE, "the dodger was slashed");
    }

    function test_M1_jurorCannotRestartWithinTheTasksLife() public {
        _stakeNodes(3, 6);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        uint256 id = _createTask(REWARD, 1);
        address seat = _byRank(id)[0];
        _commit(id, seat, GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        tm.fixSeed(id, 3); // the jury seed stored in time, as the bots do: absent jurors are liable (§4.6)
        address dodger = _jurors(id)[0];
        skip(1);
        uint64 stoppedAt = uint64(block.timestamp);
        uint256 amount = STAKE - staking.minStake() + 1; // stops, and keeps enough unlocked to be no "excused" juror
        vm.prank(dodger);
        staking.requestUnstake(amount);
        _toRevealEnd(id);
        // The task's whole life (reveal deadline + liquidation window) ends before the cooldown does.
        assertLt(_task(id).revealDeadline, stoppedAt + staking.unbondingPeriod());
        vm.expectRevert(
            abi.encodeWithSelector(
                INodeStaking.NodeStakingCooldown.selector, dodger, stoppedAt + uint64(staking.unbondingPeriod())
            )
        );
        vm.prank(dodger);
        staking.stake(1, VALIDATOR, "ipfs://node"); // back to exactly minStake: would restart
        tm.finalize(id);
        assertTrue(tm.isLiquidatable(id, dodger));
        ITaskManager(address(tm)).liquidate(id, dodger);
    }
}
