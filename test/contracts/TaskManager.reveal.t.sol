// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Vm} from "forge-std/Vm.sol";
import {Task, HashTally, Reveal} from "../../contracts/types/TaskTypes.sol";

/// @notice reveal and the incremental tally, voided commitments, v4's zero-hash refusal and revealBatch
///         (PROTOCOL.md §4.7, §4.13, §5).
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

    // ------------------------------------------------------------------ v4: zero output hash, revealBatch, reputation

    function test_reveal_zeroOutputHashIsRefused() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        _commit(id, node, bytes32(0)); // a commitment to the zero hash can be made, never revealed
        _toCommitEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroOutputHash.selector, id, node));
        _reveal(id, node, bytes32(0));
        assertFalse(tm.commitmentOf(id, node).revealed);
        assertEq(tm.reputationOf(node).revealed, 0);
        assertEq(_task(id).revealedCount, 0);
    }

    function test_revealBatch_skipsFailingEntriesWithTheirReason() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, bytes32(0)));
        _toCommitEnd(id);
        Reveal[] memory rs = new Reveal[](6);
        rs[0] = _r(id, seats[0], GOOD);
        rs[1] = Reveal({taskId: id, node: seats[1], outputHash: GOOD, salt: keccak256("wrong salt")});
        rs[2] = _r(id, seats[2], bytes32(0));
        rs[3] = _r(id, stranger, GOOD);
        rs[4] = _r(999, seats[0], GOOD);
        rs[5] = _r(id, seats[1], GOOD); // the same node again, correctly: revealed
        vm.expectEmit(address(tm));
        emit ITaskManager.Revealed(id, seats[0], GOOD);
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(
            id, seats[1], abi.encodeWithSelector(ITaskManager.TaskManagerWrongReveal.selector, id, seats[1])
        );
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(
            id, seats[2], abi.encodeWithSelector(ITaskManager.TaskManagerZeroOutputHash.selector, id, seats[2])
        );
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(
            id, stranger, abi.encodeWithSelector(ITaskManager.TaskManagerNoCommitment.selector, id, stranger)
        );
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(
            999, seats[0], abi.encodeWithSelector(ITaskManager.TaskManagerUnknownTask.selector, 999)
        );
        vm.expectEmit(address(tm));
        emit ITaskManager.Revealed(id, seats[1], GOOD);
        vm.prank(stranger); // anyone
        tm.revealBatch(rs);
        assertTrue(tm.commitmentOf(id, seats[0]).revealed);
        assertTrue(tm.commitmentOf(id, seats[1]).revealed);
        assertFalse(tm.commitmentOf(id, seats[2]).revealed);
        assertEq(_task(id).n, 2);
    }

    function test_revealBatch_alreadyRevealedAndDuplicatesAreSilentNoOps() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        Reveal[] memory rs = new Reveal[](4);
        rs[0] = _r(id, seats[0], GOOD); // revealed before the batch
        rs[1] = _r(id, seats[1], GOOD);
        rs[2] = _r(id, seats[1], GOOD); // duplicate entry
        rs[3] = Reveal({taskId: id, node: seats[1], outputHash: BAD, salt: bytes32(0)}); // revealed: a no-op too
        vm.recordLogs();
        tm.revealBatch(rs);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one Revealed, nothing else");
        assertEq(logs[0].topics[0], ITaskManager.Revealed.selector);
        assertEq(_task(id).revealedCount, 2);
        assertEq(tm.reputationOf(seats[1]).revealed, 1, "counted once");
    }

    function test_revealBatch_manyTasksAndClosedWindowSkips() public {
        (uint256 a, address[] memory sa) = _seated(1, _hashes(GOOD));
        Reveal[] memory early = new Reveal[](1);
        early[0] = _r(a, sa[0], GOOD);
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(a, sa[0], abi.encodeWithSelector(ITaskManager.TaskManagerRevealClosed.selector, a));
        tm.revealBatch(early); // before the reveal window: skipped, the batch does not revert
        (uint256 b, address[] memory sb) = _seated(1, _hashes(BAD));
        _toCommitEnd(b); // b opened later than a: both windows are open
        Reveal[] memory rs = new Reveal[](2);
        rs[0] = _r(a, sa[0], GOOD);
        rs[1] = _r(b, sb[0], BAD);
        tm.revealBatch(rs);
        assertEq(_task(a).leader, GOOD);
        assertEq(_task(b).leader, BAD);
        tm.revealBatch(new Reveal[](0)); // an empty batch does nothing
    }

    function test_reputation_revealedCountsEachReveal() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, BAD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        Reveal[] memory rs = new Reveal[](1);
        rs[0] = _r(id, seats[1], BAD);
        tm.revealBatch(rs);
        assertEq(tm.reputationOf(seats[0]).revealed, 1);
        assertEq(tm.reputationOf(seats[1]).revealed, 1);
        assertEq(tm.reputationOf(seats[2]).revealed, 0);
        assertEq(tm.reputationOf(seats[2]).commitments, 1);
    }

    function _r(uint256 taskId, address node, bytes32 outputHash) internal pure returns (Reveal memory) {
        return Reveal({taskId: taskId, node: node, outputHash: outputHash, salt: _salt(taskId, node)});
    }
}
