// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, HashTally} from "../../contracts/types/TaskTypes.sol";

/// @notice reveal and the incremental tally, and voided commitments (PROTOCOL.md §4.7, §5).
contract TaskManagerRevealTest is TaskManagerUnitBase {
    function test_reveal_rules() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        _commit(id, node, GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerRevealClosed.selector, id));
        _reveal(id, node, GOOD);
        _toCommitEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongReveal.selector, id, node));
        tm.reveal(id, node, GOOD, keccak256("wrong salt"));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongReveal.selector, id, node));
        _reveal(id, node, BAD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNoCommitment.selector, id, computes[1]));
        _reveal(id, computes[1], GOOD);
        vm.expectEmit(address(tm));
        emit ITaskManager.Revealed(id, node, GOOD);
        vm.prank(stranger); // anyone may reveal
        _reveal(id, node, GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyRevealed.selector, id, node));
        _reveal(id, node, GOOD);
        Task memory t = _task(id);
        assertEq(t.leader, GOOD);
        assertEq(t.n, 1);
        assertEq(t.m, 0);
        _toRevealEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerRevealClosed.selector, id));
        _reveal(id, computes[1], GOOD);
    }

    function test_reveal_tallyTracksLeaderAndTies() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, BAD, BAD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], BAD);
        Task memory t = _task(id);
        assertTrue(t.tied);
        assertEq(t.n, 1);
        assertEq(t.m, 1);
        _reveal(id, seats[2], BAD);
        t = _task(id);
        assertFalse(t.tied);
        assertEq(t.leader, BAD);
        assertEq(t.n, 2);
        assertEq(t.m, 1);
        HashTally memory h = tm.tallyOf(id, BAD);
        assertEq(h.votes, 2);
        assertEq(h.seatVotes, 2);
        assertEq(h.verifierVotes, 0);
    }

    function test_voidedCommitment_cannotBeRevealedReleasedOrLiquidated() public {
        uint256 id = _createTask(REWARD, 1);
        address[] memory sorted = _byRank(id);
        _commit(id, sorted[1], GOOD);
        _commit(id, sorted[0], GOOD); // displaces sorted[1]
        _toCommitEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerCommitmentVoided.selector, id, sorted[1]));
        _reveal(id, sorted[1], GOOD);
        _reveal(id, sorted[0], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerCommitmentVoided.selector, id, sorted[1]));
        tm.release(id, sorted[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, sorted[1]));
        tm.liquidate(id, sorted[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToClaim.selector, id, sorted[1]));
        vm.prank(sorted[1]);
        tm.claim(id);
        assertEq(staking.stakeOf(sorted[1]), STAKE);
        assertEq(staking.lockedOf(sorted[1]), 0);
    }
}
