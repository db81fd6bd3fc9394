// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Vm} from "forge-std/Vm.sol";
import {TaskRequest, TaskStatus, Reputation} from "../../contracts/types/TaskTypes.sol";
import {RecordingConsumer, RevertingConsumer} from "../../contracts/mocks/TestConsumers.sol";

/// @notice After finalize: claim, liquidate, release, deliver and the verification pool (PROTOCOL.md §4.8–§4.12, §6).
contract TaskManagerSettleTest is TaskManagerUnitBase {
    function test_claim_beforeFinalizeReverts() public {
        (uint256 id, address[] memory seats) = _seated(1, _hashes(GOOD));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        vm.prank(seats[0]);
        tm.claim(id);
    }

    function test_liquidate_silentSeatInFinalizedTask() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerBondAtRisk.selector, id, seats[2]));
        tm.release(id, seats[2]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSelfLiquidation.selector, id, seats[2]));
        vm.prank(seats[2]);
        tm.liquidate(id, seats[2]);
        vm.prank(seats[0]);
        tm.claim(id); // before the liquidation: the accumulator adds later
        uint256 slashed = STAKE; // bond + 100 % of the rest
        vm.prank(seats[0]); // revealed R: earns the bounty
        tm.liquidate(id, seats[2]);
        assertEq(staking.stakeOf(seats[2]), 0);
        assertEq(staking.lockedOf(seats[2]), 0);
        uint256 bounty = slashed * 500 / 10_000;
        uint256 each = (slashed - bounty) / 2;
        assertEq(tm.creditOf(seats[0]), W + bounty);
        vm.prank(seats[0]);
        tm.claim(id);
        assertEq(tm.creditOf(seats[0]), W + bounty + each);
        vm.prank(seats[1]);
        tm.claim(id);
        assertEq(tm.creditOf(seats[1]), W + each);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyLiquidated.selector, id, seats[2]));
        tm.liquidate(id, seats[2]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, seats[0]));
        tm.liquidate(id, seats[0]);
        // the requester got the silent seat's share back
        assertEq(tm.creditOf(requester), W);
    }

    function test_liquidate_bountyJoinsSplitForOtherCallers() public {
        (uint256 id, address[] memory seats) = _seated(2, _hashes(GOOD, GOOD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        vm.prank(requester); // the requester gets no bounty on a silent node
        tm.liquidate(id, seats[1]);
        assertEq(tm.creditOf(requester), 37.5 ether);
        vm.prank(seats[0]);
        tm.claim(id);
        assertEq(tm.creditOf(seats[0]), 37.5 ether + STAKE);
    }

    function test_release_revealedBondIsFreedByAnyone() public {
        (uint256 id, address[] memory seats) = _seated(2, _hashes(GOOD, BAD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], BAD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        tm.release(id, seats[1]);
        _toRevealEnd(id);
        tm.finalize(id); // undisputed dissent: Unresolved, nobody at risk
        uint256 bond = tm.commitmentOf(id, seats[1]).bond;
        assertEq(bond, 3_750 ether); // 100 × (100 − 5 − 20) / 2
        vm.expectEmit(address(tm));
        emit ITaskManager.BondReleased(id, seats[1], bond);
        vm.prank(stranger);
        tm.release(id, seats[1]);
        assertEq(staking.lockedOf(seats[1]), 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerBondReleased.selector, id, seats[1]));
        tm.release(id, seats[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNoCommitment.selector, id, stranger));
        tm.release(id, stranger);
    }

    function _finalizedWithCallback(address callback, uint32 gasLimit, bytes memory output)
        internal
        returns (uint256 id)
    {
        TaskRequest memory req = _request(REWARD, 1);
        req.callback = callback;
        req.callbackGasLimit = gasLimit;
        id = _createTaskWith(req);
        address node = _byRank(id)[0];
        _commit(id, node, keccak256(output));
        _toCommitEnd(id);
        _reveal(id, node, keccak256(output));
        _toRevealEnd(id);
        tm.finalize(id);
    }

    function test_deliver_pushesResultToConsumer() public {
        RecordingConsumer consumer = new RecordingConsumer();
        bytes memory out = bytes("{\"outputs\":[]}");
        uint256 id = _finalizedWithCallback(address(consumer), 200_000, out);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongOutput.selector, id, keccak256("nope")));
        tm.deliver(id, "nope");
        vm.expectEmit(address(tm));
        emit ITaskManager.ResultDelivered(id, out);
        tm.deliver(id, out);
        assertEq(consumer.lastTaskId(), id);
        assertEq(consumer.lastOutput(), out);
        assertEq(consumer.calls(), 1);
        assertGt(consumer.gasAtEntry(), 190_000);
        assertLe(consumer.gasAtEntry(), 200_000);
        assertTrue(_task(id).delivered);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyDelivered.selector, id));
        tm.deliver(id, out);
    }

    function test_deliver_revertsUnlessFinalized() public {
        (uint256 id,) = _seated(1, _hashes(GOOD));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotFinalized.selector, id));
        tm.deliver(id, "x");
    }

    function test_deliver_noCodeCallbackEmitsEmptyFailure() public {
        bytes memory out = "result";
        uint256 id = _finalizedWithCallback(address(0xC0FFEE), 100_000, out);
        vm.expectEmit(address(tm));
        emit ITaskManager.CallbackFailed(id, "");
        tm.deliver(id, out);
        assertTrue(_task(id).delivered);
    }

    function test_deliver_failingConsumerEmitsItsRevertData() public {
        RevertingConsumer consumer = new RevertingConsumer();
        bytes memory out = "result";
        uint256 id = _finalizedWithCallback(address(consumer), 100_000, out);
        vm.expectEmit(address(tm));
        emit ITaskManager.CallbackFailed(id, abi.encodeWithSelector(RevertingConsumer.RevertingConsumerNo.selector, id));
        tm.deliver(id, out);
    }

    function test_deliver_withoutCallbackJustEmits() public {
        bytes memory out = "result";
        uint256 id = _finalizedWithCallback(address(0), 0, out);
        vm.expectEmit(address(tm));
        emit ITaskManager.ResultDelivered(id, out);
        tm.deliver(id, out);
    }

    function test_pool_fundAndSpendOnlyByOwner() public {
        vm.prank(requester);
        tm.fundPool(10 ether);
        assertEq(tm.verificationPool(), 10 ether);
        vm.expectRevert();
        tm.spendPool(stranger, 1 ether);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerPoolInsufficient.selector, 11 ether, 10 ether));
        tm.spendPool(stranger, 11 ether);
        vm.prank(owner);
        tm.spendPool(stranger, 4 ether);
        assertEq(tm.verificationPool(), 6 ether);
        assertEq(tm.creditOf(stranger), 4 ether);
    }

    // ------------------------------------------------------------------ v4: claimBatch and reputation (§4.9, §4.13)

    function test_claimBatch_creditsEachNodeNeverTheCaller() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        (uint256[] memory ids, address[] memory nodes) = _pairs(id, seats);
        vm.expectEmit(address(tm));
        emit ITaskManager.Claimed(id, seats[0], W);
        vm.expectEmit(address(tm));
        emit ITaskManager.BondReleased(id, seats[0], BOND);
        vm.prank(stranger);
        tm.claimBatch(ids, nodes);
        for (uint256 i = 0; i < 3; ++i) {
            assertEq(tm.creditOf(seats[i]), W, "the node is credited");
            assertEq(staking.lockedOf(seats[i]), 0, "its bond released");
        }
        assertEq(tm.creditOf(stranger), 0, "never the caller");
        assertEq(tm.reputationOf(stranger).earned, 0);
    }

    function test_claimBatch_skipsEntriesWithNothingToClaimSilently() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        uint256 open = _createTask(REWARD, 1); // not settled
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        uint256[] memory ids = new uint256[](6);
        address[] memory nodes = new address[](6);
        (ids[0], nodes[0]) = (id, seats[0]);
        (ids[1], nodes[1]) = (id, seats[0]); // duplicate pair: nothing new
        (ids[2], nodes[2]) = (id, seats[2]); // silent: no share
        (ids[3], nodes[3]) = (id, stranger); // no commitment
        (ids[4], nodes[4]) = (open, seats[1]); // task not settled
        (ids[5], nodes[5]) = (999, seats[1]); // unknown task
        vm.recordLogs();
        tm.claimBatch(ids, nodes);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(_count(logs, ITaskManager.Claimed.selector), 1);
        assertEq(_count(logs, ITaskManager.BondReleased.selector), 1);
        assertEq(tm.creditOf(seats[0]), W);
        assertEq(staking.lockedOf(seats[2]), BOND, "the silent seat's bond stays at risk");
        // a repeat with nothing new: no event at all
        vm.recordLogs();
        tm.claimBatch(ids, nodes);
        assertEq(vm.getRecordedLogs().length, 0);
        // a node whose bond was released by `release` still gets its share through the batch
        tm.release(id, seats[1]);
        uint256[] memory one = new uint256[](1);
        address[] memory who = new address[](1);
        (one[0], who[0]) = (id, seats[1]);
        tm.claimBatch(one, who);
        assertEq(tm.creditOf(seats[1]), W);
    }

    function test_claimBatch_repeatCreditsLaterLiquidations() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        address[] memory winners = new address[](2);
        (winners[0], winners[1]) = (seats[0], seats[1]);
        (uint256[] memory ids, address[] memory nodes) = _pairs(id, winners);
        tm.claimBatch(ids, nodes);
        vm.prank(stranger); // no bounty for a stranger: the whole slash is split
        tm.liquidate(id, seats[2]);
        uint256 each = STAKE / 2;
        vm.expectEmit(address(tm));
        emit ITaskManager.Claimed(id, seats[0], each);
        vm.expectEmit(address(tm));
        emit ITaskManager.Claimed(id, seats[1], each);
        tm.claimBatch(ids, nodes);
        assertEq(tm.creditOf(seats[0]), W + each);
        assertEq(tm.creditOf(seats[1]), W + each);
        assertEq(tm.reputationOf(seats[0]).earned, W + each);
    }

    function test_claimBatch_lengthMismatchReverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerLengthMismatch.selector, 2, 1));
        tm.claimBatch(new uint256[](2), new address[](1));
        tm.claimBatch(new uint256[](0), new address[](0)); // empty: nothing
    }

    function test_reputation_finalizedTask_agreedEarnedSilent() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        for (uint256 i = 0; i < 3; ++i) assertEq(tm.reputationOf(seats[i]).commitments, 1);
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(tm.reputationOf(seats[0]).agreed, 0, "agreed is counted at the first claim");
        vm.prank(seats[0]);
        tm.claim(id);
        vm.prank(seats[0]); // a repeat does not count again
        tm.claim(id);
        vm.prank(seats[0]); // revealed R: the bounty is credited to it, and earned
        tm.liquidate(id, seats[2]);
        uint256 bounty = STAKE * 500 / 10_000;
        uint256 each = (STAKE - bounty) / 2;
        vm.prank(seats[0]);
        tm.claim(id);
        vm.prank(seats[1]);
        tm.claim(id);
        _assertRep(seats[0], Reputation(1, 1, 1, 0, 0, W + bounty + each));
        _assertRep(seats[1], Reputation(1, 1, 1, 0, 0, W + each));
        _assertRep(seats[2], Reputation(1, 0, 0, 0, 1, 0)); // liquidated for silence
        assertEq(tm.reputationOf(requester).earned, 0, "refunds are never earned");
        assertEq(tm.reputationOf(modelOwner).earned, 0, "nor royalties (not a claim)");
    }

    function test_reputation_unresolvedTaskCountsNoAgreementAndSilentInPool() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, BAD, GOOD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], BAD);
        _toRevealEnd(id);
        tm.finalize(id); // undisputed dissent: Unresolved, the work is paid
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Unresolved));
        (uint256[] memory ids, address[] memory nodes) = _pairs(id, seats);
        tm.claimBatch(ids, nodes);
        tm.liquidate(id, seats[2]);
        _assertRep(seats[0], Reputation(1, 1, 0, 0, 0, W));
        _assertRep(seats[1], Reputation(1, 1, 0, 0, 0, W));
        _assertRep(seats[2], Reputation(1, 0, 0, 0, 1, 0));
        assertEq(tm.reputationOf(address(this)).earned, 0, "no bounty in an Unresolved task");
    }

    function _assertRep(address node, Reputation memory want) internal view {
        Reputation memory r = tm.reputationOf(node);
        assertEq(r.commitments, want.commitments, "commitments");
        assertEq(r.revealed, want.revealed, "revealed");
        assertEq(r.agreed, want.agreed, "agreed");
        assertEq(r.wrong, want.wrong, "wrong");
        assertEq(r.silent, want.silent, "silent");
        assertEq(r.earned, want.earned, "earned");
    }

    function _pairs(uint256 id, address[] memory who) internal pure returns (uint256[] memory ids, address[] memory) {
        ids = new uint256[](who.length);
        for (uint256 i = 0; i < who.length; ++i) ids[i] = id;
        return (ids, who);
    }

    function _count(Vm.Log[] memory logs, bytes32 topic) internal pure returns (uint256 k) {
        for (uint256 i = 0; i < logs.length; ++i) if (logs[i].topics[0] == topic) ++k;
    }
}
