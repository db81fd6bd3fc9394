// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, TaskRequest, TaskStatus, Reputation} from "../../contracts/types/TaskTypes.sol";

/// @notice dispute, the jury and the outcomes of disputed tasks (PROTOCOL.md §4.6, §5, §6).
contract TaskManagerDisputeTest is TaskManagerUnitBase {
    function test_dispute_rules() public {
        address disputer = makeAddr("disputer");
        _fund(disputer);
        TaskRequest memory req = _request(REWARD, 3);
        req.disputer = disputer;
        uint256 id = _createTaskWith(req);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotDisputer.selector, id, stranger));
        vm.prank(stranger);
        tm.dispute(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooEarly.selector, id, _task(id).seatDeadline));
        vm.prank(requester);
        tm.dispute(id);
        _toSeatEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNoSeatCommitted.selector, id));
        vm.prank(requester);
        tm.dispute(id);

        uint256 id2 = _createTaskWith(req);
        _commit(id2, computes[0], GOOD);
        _toSeatEnd(id2);
        uint256 before = token.balanceOf(disputer);
        vm.expectEmit(address(tm));
        emit ITaskManager.VerifiersDrawn(id2);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskDisputed(id2, disputer, REWARD);
        vm.prank(disputer);
        tm.dispute(id2);
        assertEq(token.balanceOf(disputer), before - REWARD);
        Task memory t = _task(id2);
        assertTrue(t.disputed);
        assertEq(t.disputeBondPayer, disputer);
        assertEq(t.disputeBond, REWARD);
        assertEq(t.disputedAt, block.timestamp);
        assertEq(t.jurySeedBlock, block.number);
        assertEq(t.verifierSeedBlock, block.number);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyDisputed.selector, id2));
        vm.prank(requester);
        tm.dispute(id2);

        uint256 id3 = _createTaskWith(req);
        _commit(id3, computes[0], GOOD);
        vm.warp(_task(id3).disputeDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooLate.selector, id3, _task(id3).disputeDeadline));
        vm.prank(requester);
        tm.dispute(id3);
    }

    function test_juror_commitsInDisputedTaskUntilCommitWindow() public {
        _stakeNodes(0, 5); // V = 8
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        address[] memory jurors = _jurors(id);
        address[] memory verifiers = _verifiers(id);
        assertGt(jurors.length, 0);
        assertEq(jurors.length + verifiers.length, 8, "V <= jurySize: every validator without a place is a juror");
        vm.warp(_task(id).verifyDeadline + 1); // past the verify window: a disputed task takes commits until commitWindow
        vm.expectEmit(address(tm));
        emit ITaskManager.Committed(id, jurors[0], 3, _sealed(id, jurors[0]));
        _commit(id, jurors[0], GOOD);
        assertEq(_task(id).committedJurors, 1);
        assertEq(staking.lockedOf(jurors[0]), BOND);
        vm.warp(_task(id).commitDeadline);
        if (jurors.length > 1) {
            vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerCommitClosed.selector, id));
            _commit(id, jurors[1], GOOD);
        }
    }

    function test_juror_locksMinOfBondAndUnlocked() public {
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        address poor = _newNode("poor-validator", VALIDATOR, 12_000 ether);
        validators.push(poor);
        skip(1);
        uint256 id = _createTask(1_000 ether, 3); // w = 250, bond = 25,000 > 12,000
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        (, bool v, bool j) = tm.isEligible(id, poor);
        assertTrue(!v && j, "setup: the poor validator is a juror");
        _commit(id, poor, GOOD);
        assertEq(tm.commitmentOf(id, poor).bond, 12_000 ether);
        assertEq(staking.lockedOf(poor), 12_000 ether);
    }

    /// @dev 3 seats (two GOOD, one BAD), disputed; V = 6 with 1 expected verifier: the rest are jurors.
    function _disputedTask(bytes32 third) internal returns (uint256 id, address[] memory seats) {
        _stakeNodes(0, 3);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        (id, seats) = _seated(3, _hashes(GOOD, GOOD, third));
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        tm.fixSeed(id, 3); // what every bot does two blocks after a dispute: absent jurors are then liable
    }

    function test_dispute_foundedSlashesTheWrongSeatAndReturnsBond() public {
        (uint256 id, address[] memory seats) = _disputedTask(BAD);
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], i == 2 ? BAD : GOOD);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        Task memory t = _task(id);
        assertEq(uint8(t.status), uint8(TaskStatus.Finalized));
        assertEq(t.n, 8);
        assertEq(t.m, 1);
        assertEq(tm.creditOf(requester), REWARD + W, "bond back (founded) + the wrong seat's share");
        assertTrue(tm.isLiquidatable(id, seats[2]));
        vm.prank(requester); // requester against a wrong hash: bounty
        tm.liquidate(id, seats[2]);
        assertEq(tm.creditOf(requester), REWARD + W + STAKE * 500 / 10_000);
    }

    function test_dispute_groundlessForfeitsBondToVerifiersAndJurors() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        uint256 v = vs.length + js.length;
        Task memory t = _task(id);
        assertEq(uint8(t.status), uint8(TaskStatus.Finalized));
        assertEq(t.bondShare, REWARD / v);
        assertEq(tm.creditOf(requester), 0, "bond forfeited");
        uint256 pay = (FEE / v) < W ? FEE / v : W;
        vm.prank(js[0]);
        tm.claim(id);
        assertEq(tm.creditOf(js[0]), pay + REWARD / v);
    }

    function test_liquidate_absentJurorNeverExcused() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
        assertTrue(_task(id).juryLiable, "the jury seed was stored in time");
        address[] memory js = _jurors(id);
        assertGe(js.length, 2, "setup: two jurors");
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertTrue(tm.isLiquidatable(id, js[0]));
        uint256 stakeBefore = staking.stakeOf(js[0]);
        vm.prank(seats[0]);
        tm.liquidate(id, js[0]);
        assertEq(staking.stakeOf(js[0]), stakeBefore - stakeBefore * 1_000 / 10_000);
        // v4: an absent juror that moved its whole stake to unbonding is not excused: the slash reaches unbonding
        vm.prank(js[1]);
        staking.requestUnstake(STAKE);
        assertTrue(tm.isLiquidatable(id, js[1]));
        vm.prank(seats[0]);
        tm.liquidate(id, js[1]);
        (uint256 unbonding,) = staking.unbondingOf(js[1]);
        assertEq(unbonding, STAKE - STAKE * 1_000 / 10_000, "10 % taken from the unbonding amount");
        // a validator that is no juror cannot be liquidated
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, computes[4]));
        tm.liquidate(id, computes[4]);
    }

    function test_liquidate_absentJurorNotLiableForAJurySeedStoredLate() public {
        _stakeNodes(0, 3);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        tm.fixSeed(id, 2); // the verifier seed only: nobody stores the jury seed in time
        Task memory t = _task(id);
        vm.warp(t.juryDeadline + 1);
        tm.fixSeed(id, 3); // stored, but after createdAt + commitWindow − seatWindow
        t = _task(id);
        assertTrue(t.jurySeed != bytes32(0), "stored");
        assertFalse(t.juryLiable, "too late to bind absent jurors");
        address[] memory js = _jurors(id);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        for (uint256 i = 0; i < js.length; ++i) {
            assertFalse(tm.isLiquidatable(id, js[i]));
            vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, js[i]));
            vm.prank(seats[0]);
            tm.liquidate(id, js[i]);
        }
    }

    function test_dispute_unresolvedLeaderPaysItsWorkersOnly() public {
        // nobody but the seats answers: A_d = 3 seats + J (6 validators) = 9, 66 % → 5; n = 2 is not enough
        (uint256 id, address[] memory seats) = _disputedTask(BAD);
        address[] memory js = _jurors(id);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], i == 2 ? BAD : GOOD);
        _toRevealEnd(id);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskUnresolved(id, GOOD, 2, 1, false);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Unresolved));
        // the leader's workers are paid; royalty and the rest of the escrow back; the bond back; the fee to the pool
        assertEq(tm.creditOf(requester), REWARD - FEE - 2 * W + REWARD);
        assertEq(tm.creditOf(modelOwner), 0);
        assertEq(tm.verificationPool(), FEE);
        vm.prank(seats[0]);
        tm.claim(id);
        assertEq(tm.creditOf(seats[0]), W);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToClaim.selector, id, seats[2]));
        vm.prank(seats[2]);
        tm.claim(id);
        // nobody is liquidated for a hash; the absent jurors are, into the pool, without bounty
        assertFalse(tm.isLiquidatable(id, seats[2]));
        assertGt(js.length, 0);
        assertTrue(tm.isLiquidatable(id, js[0]));
        uint256 before = staking.stakeOf(js[0]);
        vm.prank(seats[0]);
        tm.liquidate(id, js[0]);
        uint256 slashed = before * 1_000 / 10_000;
        assertEq(tm.verificationPool(), FEE + slashed);
        assertEq(tm.creditOf(seats[0]), W, "no bounty in an Unresolved task");
    }

    function test_dispute_tiedLeaderRefundsEverything() public {
        _stakeNodes(0, 3);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        (uint256 id, address[] memory seats) = _seated(2, _hashes(GOOD, BAD, GOOD));
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _toCommitEnd(id);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], BAD);
        _toRevealEnd(id);
        tm.finalize(id);
        Task memory t = _task(id);
        assertTrue(t.tied);
        assertEq(t.payMode, 0);
        assertEq(tm.creditOf(requester), 2 * REWARD, "escrow and bond back");
        assertEq(tm.verificationPool(), 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToClaim.selector, id, seats[0]));
        vm.prank(seats[0]);
        tm.claim(id);
        tm.release(id, seats[0]);
        tm.release(id, seats[1]);
        assertEq(staking.lockedOf(seats[0]) + staking.lockedOf(seats[1]), 0);
    }

    function test_juror_silentAfterCommitLosesItsBond() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
        address[] memory js = _jurors(id);
        _commit(id, js[0], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        assertEq(tm.creditOf(requester), REWARD, "a silent juror: the dispute is not groundless");
        vm.prank(seats[1]);
        tm.liquidate(id, js[0]);
        assertEq(staking.stakeOf(js[0]), 0, "bond + slashBps 100 % of the rest");
        assertEq(staking.lockedOf(js[0]), 0);
    }

    // ------------------------------------------------------------------ v4: reputation (§4.13)

    function test_reputation_wrongHashLiquidatedAndJurorsAgree() public {
        (uint256 id, address[] memory seats) = _disputedTask(BAD);
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], GOOD);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], i == 2 ? BAD : GOOD);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        vm.prank(seats[0]); // revealed R: the bounty is its
        tm.liquidate(id, seats[2]);
        Reputation memory wrongRep = _rep(seats[2]);
        assertEq(wrongRep.commitments, 1);
        assertEq(wrongRep.revealed, 1);
        assertEq(wrongRep.agreed, 0);
        assertEq(wrongRep.wrong, 1, "liquidated for a wrong hash");
        assertEq(wrongRep.silent, 0);
        assertEq(wrongRep.earned, 0);
        assertEq(tm.reputationOf(seats[0]).earned, STAKE * 500 / 10_000, "the bounty is earned");
        vm.prank(js[0]);
        tm.claim(id);
        assertEq(tm.reputationOf(js[0]).agreed, 1);
        assertEq(tm.reputationOf(js[0]).earned, tm.creditOf(js[0]));
        assertEq(tm.reputationOf(requester).earned, 0, "the founded dispute's bond back is a refund");
    }

    function test_reputation_groundlessDisputeBondShareIsEarned() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], GOOD);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        uint256 share = _task(id).bondShare;
        assertGt(share, 0, "setup: the bond is forfeited");
        vm.prank(js[0]);
        tm.claim(id);
        assertEq(tm.reputationOf(js[0]).earned, tm.creditOf(js[0]));
        assertGe(tm.reputationOf(js[0]).earned, share, "the forfeited bond's share is included");
    }

    function test_reputation_absentJurorIsSilent() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
        address[] memory js = _jurors(id);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        tm.liquidate(id, js[0]);
        Reputation memory r = _rep(js[0]);
        assertEq(r.commitments, 0, "an absent juror made no commitment");
        assertEq(r.silent, 1, "liquidated as an absent juror");
        assertEq(r.wrong, 0);
    }

    function _rep(address node) internal view returns (Reputation memory r) {
        return tm.reputationOf(node);
    }
}
