// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {TaskRequest, TaskStatus} from "../../contracts/types/TaskTypes.sol";
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
}
