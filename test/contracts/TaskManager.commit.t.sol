// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {SignedCommit, Commitment} from "../../contracts/types/TaskTypes.sol";

/// @notice commit, commitWithSig and commitBatch: places, bonds and reverts (PROTOCOL.md §4.2, §4.4, §9).
contract TaskManagerCommitTest is TaskManagerUnitBase {
    function test_commit_takesSeatAndLocksBond() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        bytes32 c = _commitment(id, node, GOOD);
        vm.expectEmit(address(tm));
        emit ITaskManager.Committed(id, node, 1, _sealed(id, node));
        vm.prank(node);
        tm.commit(id, c, _sealed(id, node));
        assertEq(staking.lockedOf(node), BOND);
        Commitment memory cm = tm.commitmentOf(id, node);
        assertEq(cm.commitment, c);
        assertEq(cm.place, 1);
        assertEq(cm.bond, BOND);
        assertEq(_task(id).seatHolders.length, 1);
        assertEq(_task(id).seatHolders[0], node);
    }

    function test_commit_revertsOnDoubleCommit() public {
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyCommitted.selector, id, computes[0]));
        _commit(id, computes[0], BAD);
    }

    function test_commit_revertsOnZeroCommitment() public {
        uint256 id = _createTask(REWARD, 3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroCommitment.selector, id));
        vm.prank(computes[0]);
        tm.commit(id, bytes32(0), "");
    }

    function test_commit_revertsForUnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerUnknownTask.selector, 9));
        _commit(9, computes[0], GOOD);
    }

    function test_commit_ineligibleNodesCannotCommit() public {
        address inactive = _newNode("inactive", COMPUTE, 5_000 ether); // below minStake
        skip(1);
        uint256 id = _createTask(REWARD, 3);
        address tooNew = _newNode("too-new", COMPUTE, STAKE);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, inactive));
        _commit(id, inactive, GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, tooNew));
        _commit(id, tooNew, GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, validators[0]));
        _commit(id, validators[0], GOOD);
        // a compute node that adds the VALIDATOR role after createdAt still cannot take a verifier place
        vm.prank(computes[0]);
        staking.stake(0, BOTH, "ipfs://node");
        (bool seat,,) = tm.isEligible(id, computes[0]);
        assertTrue(seat, "its compute clock is unchanged");
    }

    function test_commit_revertsWhenUnlockedStakeBelowBond() public {
        uint256 id = _createTask(3_000 ether, 3); // w = 750, bond = 75,000 > 50,000 stake
        vm.expectRevert(
            abi.encodeWithSelector(ITaskManager.TaskManagerBondUnavailable.selector, id, computes[0], 75_000 ether, STAKE)
        );
        _commit(id, computes[0], GOOD);
    }

    function test_commit_afterSeatWindowNeedsDrawnVerifiers() public {
        uint256 id = _createTask(REWARD, 3);
        _toSeatEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotDrawn.selector, id));
        _commit(id, computes[0], GOOD);
    }

    function test_verifierCommit_placesAndWindow() public {
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeedNotReady.selector, id, uint8(2)));
        _commit(id, validators[0], GOOD);
        _roll(2);
        // V = 3 ≤ expectedVerifiers: every validator has a place
        assertEq(_verifiers(id).length, 3);
        vm.expectEmit(address(tm));
        emit ITaskManager.Committed(id, validators[0], 2, _sealed(id, validators[0]));
        _commit(id, validators[0], GOOD);
        assertEq(_task(id).committedVerifiers, 1);
        // a compute node has no verifier place
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, computes[1]));
        _commit(id, computes[1], GOOD);
        vm.warp(_task(id).verifyDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerCommitClosed.selector, id));
        _commit(id, validators[1], GOOD);
    }

    function test_commitWithSig_relayedBySomeoneElse() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        SignedCommit memory c =
            _sign(id, node, _commitment(id, node, GOOD), _sealed(id, node), block.timestamp + 1 hours);
        vm.prank(stranger);
        tm.commitWithSig(c);
        assertEq(tm.commitmentOf(id, node).commitment, c.commitment);
        assertEq(staking.lockedOf(node), BOND);
    }

    function test_commitWithSig_revertsWhenExpired() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        SignedCommit memory c = _sign(id, node, _commitment(id, node, GOOD), _sealed(id, node), block.timestamp);
        skip(1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSignatureExpired.selector, block.timestamp - 1));
        tm.commitWithSig(c);
    }

    function test_commitWithSig_revertsForWrongSigner() public {
        uint256 id = _createTask(REWARD, 3);
        SignedCommit memory c = _sign(id, computes[1], _commitment(id, computes[0], GOOD), "x", block.timestamp);
        c.node = computes[0];
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerInvalidSigner.selector, computes[0], computes[1]));
        tm.commitWithSig(c);
    }

    function test_commitBatch_skipsBadEntriesAndIgnoresDuplicates() public {
        uint256 id = _createTask(REWARD, 3);
        SignedCommit[] memory cs = new SignedCommit[](4);
        uint256 dl = block.timestamp + 1 hours;
        cs[0] = _sign(id, computes[0], _commitment(id, computes[0], GOOD), "a", dl);
        cs[1] = _sign(id, computes[1], _commitment(id, computes[1], GOOD), "b", block.timestamp - 1); // expired
        cs[2] = _sign(id, computes[0], _commitment(id, computes[0], BAD), "c", dl); // same node again: no-op
        cs[3] = _sign(id, computes[2], _commitment(id, computes[2], GOOD), "d", dl);
        vm.expectEmit(address(tm));
        emit ITaskManager.Committed(id, computes[0], 1, "a");
        vm.expectEmit(address(tm));
        emit ITaskManager.CommitSkipped(
            id,
            computes[1],
            abi.encodeWithSelector(ITaskManager.TaskManagerSignatureExpired.selector, block.timestamp - 1)
        );
        vm.expectEmit(address(tm));
        emit ITaskManager.Committed(id, computes[2], 1, "d");
        vm.recordLogs();
        vm.prank(stranger);
        tm.commitBatch(cs);
        assertEq(tm.commitmentOf(id, computes[0]).commitment, cs[0].commitment);
        assertEq(tm.commitmentOf(id, computes[1]).commitment, bytes32(0));
        assertEq(tm.commitmentOf(id, computes[2]).commitment, cs[3].commitment);
    }

    function test_commitBatch_ineligibleEntryIsSkippedWithReason() public {
        uint256 id = _createTask(REWARD, 3);
        SignedCommit[] memory cs = new SignedCommit[](2);
        uint256 dl = block.timestamp + 1 hours;
        cs[0] = _sign(id, validators[0], _commitment(id, validators[0], GOOD), "v", dl); // no seat for a validator
        cs[1] = _sign(id, computes[0], _commitment(id, computes[0], GOOD), "c", dl);
        vm.expectEmit(address(tm));
        emit ITaskManager.CommitSkipped(
            id, validators[0], abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, validators[0])
        );
        tm.commitBatch(cs);
        assertEq(tm.commitmentOf(id, computes[0]).commitment, cs[1].commitment);
    }
}
