// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {TaskStatus} from "../../contracts/types/TaskTypes.sol";

/// @notice finalize: the §5 rule and the §6 money of undisputed tasks.
contract TaskManagerFinalizeTest is TaskManagerUnitBase {
    function test_finalize_tooEarlyAndOnce() public {
        (uint256 id,) = _seated(1, _hashes(GOOD));
        vm.warp(_task(id).revealDeadline - 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooEarly.selector, id, _task(id).revealDeadline));
        tm.finalize(id);
        skip(1);
        tm.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Unresolved));
        tm.finalize(id);
    }

    function test_finalize_agreementPaysEveryoneExactly() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(2);
        for (uint256 i = 0; i < 3; ++i) _commit(id, validators[i], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) {
            _reveal(id, seats[i], GOOD);
            _reveal(id, validators[i], GOOD);
        }
        _toRevealEnd(id);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskFinalized(id, GOOD, 6, 0);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        assertEq(_task(id).acceptedOutputHash, GOOD);
        assertEq(tm.creditOf(modelOwner), ROYALTY);
        assertEq(tm.creditOf(requester), 0);
        uint256 pay = FEE / 3; // min(W, fee / 3)
        assertEq(_task(id).verifierPay, pay);
        assertEq(tm.verificationPool(), FEE - 3 * pay);
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(seats[i]);
            tm.claim(id);
            assertEq(tm.creditOf(seats[i]), W);
            assertEq(staking.lockedOf(seats[i]), 0);
            vm.prank(validators[i]);
            tm.claim(id);
            assertEq(tm.creditOf(validators[i]), pay);
        }
        // a repeated claim credits nothing and does not revert
        vm.prank(seats[0]);
        tm.claim(id);
        assertEq(tm.creditOf(seats[0]), W);
        // every wei accounted for
        uint256 credits = ROYALTY + 3 * W + 3 * pay;
        assertEq(token.balanceOf(address(tm)), credits + tm.verificationPool());
        // withdraw pays the credit
        uint256 before = token.balanceOf(seats[0]);
        vm.expectEmit(address(tm));
        emit ITaskManager.Withdrawn(seats[0], W);
        vm.prank(seats[0]);
        tm.withdraw();
        assertEq(token.balanceOf(seats[0]), before + W);
        assertEq(tm.creditOf(seats[0]), 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToWithdraw.selector, seats[0]));
        vm.prank(seats[0]);
        tm.withdraw();
    }

    function test_finalize_emptyAndSilentSeatsRefundRequester() public {
        (uint256 id, address[] memory seats) = _seated(2, _hashes(GOOD, GOOD, GOOD));
        // a third task seat stays empty? redundancy 2: both taken; one stays silent
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        // W2 = (100 − 5 − 20) / 2 = 37.5
        uint256 w2 = 37.5 ether;
        assertEq(tm.creditOf(requester), w2, "the silent seat's share");
        assertEq(tm.verificationPool(), FEE, "no verifier: the whole fee stays in the pool");
        vm.prank(seats[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToClaim.selector, id, seats[1]));
        tm.claim(id);
    }

    function test_finalize_undisputedDissentIsUnresolvedAndPaysTheWork() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, BAD));
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _reveal(id, seats[2], BAD);
        _toRevealEnd(id);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskUnresolved(id, GOOD, 2, 1, false);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Unresolved));
        assertEq(tm.creditOf(modelOwner), ROYALTY);
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(seats[i]);
            tm.claim(id);
            assertEq(tm.creditOf(seats[i]), W, "every revealed worker is paid");
            assertFalse(tm.isLiquidatable(id, seats[i]));
        }
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, seats[2]));
        tm.liquidate(id, seats[2]);
    }

    function test_finalize_noRevealRefundsEverything() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Unresolved));
        assertEq(tm.creditOf(requester), REWARD);
        assertEq(tm.verificationPool(), 0);
        // silent seats are liquidated with noRevealSlashBps; the slash goes to the pool
        uint256 slashed = BOND + (STAKE - BOND) * 1_000 / 10_000;
        vm.expectEmit(address(tm));
        emit ITaskManager.Liquidated(id, seats[0], slashed, stranger);
        vm.prank(stranger);
        tm.liquidate(id, seats[0]);
        assertEq(tm.verificationPool(), slashed);
        assertEq(tm.creditOf(stranger), 0, "no bounty in an Unresolved task");
        assertEq(staking.stakeOf(seats[0]), STAKE - slashed);
    }
}
