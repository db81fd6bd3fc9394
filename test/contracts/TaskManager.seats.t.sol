// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Commitment, Reveal} from "../../contracts/types/TaskTypes.sol";

/// @notice Seeds, ranks and seats by rank, and the draw of the sampled verifiers (PROTOCOL.md §4.1, §4.2, §4.4).
contract TaskManagerSeatsTest is TaskManagerUnitBase {
    function test_rankOf_unknownUntilBlockAfterNext() public {
        vm.prank(requester);
        uint256 id = tm.createTask(_request(REWARD, 3));
        assertEq(tm.rankOf(id, computes[0]), type(uint256).max);
        (bool seat,,) = tm.isEligible(id, computes[0]);
        assertFalse(seat);
        _roll(1);
        assertEq(tm.rankOf(id, computes[0]), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeedNotReady.selector, id, uint8(1)));
        _commit(id, computes[0], GOOD);
        _roll(1);
        assertLt(tm.rankOf(id, computes[0]), 5);
    }

    function test_seed_fixedFromNextBlockhashAndStoredLazily() public {
        uint256 b = block.number;
        vm.prank(requester);
        uint256 id = tm.createTask(_request(REWARD, 3));
        _roll(2);
        bytes32 expected = keccak256(abi.encode(blockhash(b + 1), id, uint8(1)));
        assertEq(_task(id).seatSeed, bytes32(0));
        vm.expectEmit(address(tm));
        emit ITaskManager.SeedFixed(id, 1, expected);
        _commit(id, computes[0], GOOD);
        assertEq(_task(id).seatSeed, expected);
        assertEq(tm.rankOf(id, computes[1]), uint256(keccak256(abi.encode(expected, computes[1], uint8(1)))) % 5);
    }

    function test_seed_lostAfter256BlocksIsReanchoredByFixSeed() public {
        vm.prank(requester);
        uint256 id = tm.createTask(_request(REWARD, 3));
        _roll(300);
        // lost: views say unknown, a commit that needs it reverts, whatever the caller's own parent hash
        vm.setBlockhash(block.number - 1, keccak256("recent"));
        assertEq(tm.rankOf(id, computes[0]), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeedNotReady.selector, id, uint8(1)));
        _commit(id, computes[0], GOOD);
        // fixSeed re-anchors it to the current block
        uint256 b = block.number;
        vm.expectEmit(address(tm));
        emit ITaskManager.SeedRequested(id, 1, b);
        tm.fixSeed(id, 1);
        assertEq(_task(id).seatSeedBlock, b);
        assertEq(_task(id).seatSeed, bytes32(0));
        tm.fixSeed(id, 1); // before b + 2: a no-op
        assertEq(_task(id).seatSeedBlock, b);
        _roll(2);
        bytes32 expected = keccak256(abi.encode(blockhash(b + 1), id, uint8(1)));
        vm.expectEmit(address(tm));
        emit ITaskManager.SeedFixed(id, 1, expected);
        tm.fixSeed(id, 1);
        assertEq(_task(id).seatSeed, expected);
        tm.fixSeed(id, 1); // stored: a no-op
        assertEq(_task(id).seatSeed, expected);
        _commit(id, _byRank(id)[0], GOOD);
    }

    function test_fixSeed_revertsForUnknownTaskOrKindAndIsANoOpWhenNotAskedFor() public {
        uint256 id = _createTask(REWARD, 3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerUnknownSeedKind.selector, uint8(0)));
        tm.fixSeed(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerUnknownSeedKind.selector, uint8(4)));
        tm.fixSeed(id, 4);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerUnknownTask.selector, id + 1));
        tm.fixSeed(id + 1, 1);
        // verifiers and jury not asked for: nothing happens, even after 300 blocks
        _roll(300);
        vm.recordLogs();
        tm.fixSeed(id, 2);
        tm.fixSeed(id, 3);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(_task(id).verifierSeedBlock, 0);
        assertEq(_task(id).jurySeedBlock, 0);
    }

    function test_rankOf_maxForNonComputeAndTooNew() public {
        uint256 id = _createTask(REWARD, 3);
        assertEq(tm.rankOf(id, validators[0]), type(uint256).max);
        address late = _newNode("late", COMPUTE, STAKE);
        assertEq(tm.rankOf(id, late), type(uint256).max);
        assertEq(tm.rankOf(id + 1, computes[0]), type(uint256).max);
    }

    function test_commit_seatTakenByBetterRanks() public {
        uint256 id = _createTask(REWARD, 2);
        address[] memory sorted = _byRank(id);
        _commit(id, sorted[0], GOOD);
        _commit(id, sorted[1], GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeatTaken.selector, id, sorted[2]));
        _commit(id, sorted[2], GOOD);
        (bool seat,,) = tm.isEligible(id, sorted[2]);
        assertFalse(seat);
    }

    function test_commit_betterRankDisplacesWorstHolder() public {
        uint256 id = _createTask(REWARD, 2);
        address[] memory sorted = _byRank(id);
        _commit(id, sorted[3], GOOD);
        _commit(id, sorted[2], GOOD);
        (bool seat,,) = tm.isEligible(id, sorted[0]);
        assertTrue(seat);
        vm.expectEmit(address(tm));
        emit ITaskManager.SeatLost(id, sorted[3], sorted[0]);
        _commit(id, sorted[0], GOOD);
        assertEq(staking.lockedOf(sorted[3]), 0, "displaced bond released");
        assertTrue(tm.commitmentOf(id, sorted[3]).voided);
        address[] memory holders = _task(id).seatHolders;
        assertEq(holders.length, 2);
        assertTrue(holders[0] == sorted[0] || holders[1] == sorted[0]);
        assertTrue(holders[0] == sorted[2] || holders[1] == sorted[2]);
        // the displaced node cannot commit again in the task
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyCommitted.selector, id, sorted[3]));
        _commit(id, sorted[3], GOOD);
        assertEq(_task(id).liveCommitments, 2);
        // §4.13: the displaced seat's commitment is taken back
        assertEq(tm.reputationOf(sorted[3]).commitments, 0, "displaced: taken back");
        assertEq(tm.reputationOf(sorted[2]).commitments, 1);
        assertEq(tm.reputationOf(sorted[0]).commitments, 1);
    }

    function test_revealBatch_voidedEntryIsSkippedWithItsReason() public {
        uint256 id = _createTask(REWARD, 1);
        address[] memory sorted = _byRank(id);
        _commit(id, sorted[1], GOOD);
        _commit(id, sorted[0], GOOD); // displaces sorted[1]
        _toCommitEnd(id);
        Reveal[] memory rs = new Reveal[](1);
        rs[0] = Reveal({taskId: id, node: sorted[1], outputHash: GOOD, salt: _salt(id, sorted[1])});
        vm.expectEmit(address(tm));
        emit ITaskManager.RevealSkipped(
            id, sorted[1], abi.encodeWithSelector(ITaskManager.TaskManagerCommitmentVoided.selector, id, sorted[1])
        );
        tm.revealBatch(rs);
        assertEq(tm.reputationOf(sorted[1]).revealed, 0);
    }

    /// @dev Whatever order the compute nodes commit in, the seats end with the `redundancy` best (rank, address).
    /// forge-config: default.fuzz.runs = 64
    function testFuzz_seats_goByRankNotSpeed(uint256 orderSeed, uint8 k) public {
        k = uint8(bound(k, 1, 3));
        uint256 id = _createTask(REWARD, k);
        skip(30 minutes); // threshold 4 · k · 2 ≥ 8 > ranks of C = 5: everyone eligible
        address[] memory order = computes;
        for (uint256 i = order.length; i > 1; --i) {
            uint256 j = uint256(keccak256(abi.encode(orderSeed, i))) % i;
            (order[i - 1], order[j]) = (order[j], order[i - 1]);
        }
        for (uint256 i = 0; i < order.length; ++i) {
            vm.prank(order[i]);
            try tm.commit(id, _commitment(id, order[i], GOOD), "") {} catch {}
        }
        address[] memory best = _byRank(id);
        address[] memory holders = _task(id).seatHolders;
        assertEq(holders.length, k);
        for (uint256 i = 0; i < k; ++i) {
            bool found;
            for (uint256 h = 0; h < k; ++h) if (holders[h] == best[i]) found = true;
            assertTrue(found, "a best-ranked node holds a seat");
        }
        for (uint256 i = k; i < best.length; ++i) {
            Commitment memory c = tm.commitmentOf(id, best[i]);
            assertTrue(c.commitment == bytes32(0) || c.voided, "worse ranks hold nothing live");
            assertEq(staking.lockedOf(best[i]), 0);
        }
    }

    function test_commit_rankEligibilityDoublesEverySeatStep() public {
        _stakeNodes(15, 0); // C = 20
        uint256 id = _createTask(REWARD, 1); // threshold 4 · 1 · 2^s
        address[] memory sorted = _byRank(id);
        address far = sorted[19];
        uint256 r = tm.rankOf(id, far);
        assertGe(r, 4);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, far));
        _commit(id, far, GOOD);
        // eligible once 4 · 2^s > r
        uint256 s;
        while ((4 << s) <= r) ++s;
        skip(s * 30 minutes - 1);
        (bool seat,,) = tm.isEligible(id, far);
        assertFalse(seat);
        skip(1);
        (seat,,) = tm.isEligible(id, far);
        assertTrue(seat);
        _commit(id, far, GOOD);
    }

    function test_drawVerifiers_windowAndOnce() public {
        uint256 id = _createTask(REWARD, 3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooEarly.selector, id, _task(id).seatDeadline));
        tm.drawVerifiers(id);
        _toSeatEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNoSeatCommitted.selector, id));
        tm.drawVerifiers(id);

        uint256 id2 = _createTask(REWARD, 3);
        _commit(id2, computes[0], GOOD);
        _toSeatEnd(id2);
        vm.expectEmit(address(tm));
        emit ITaskManager.VerifiersDrawn(id2);
        tm.drawVerifiers(id2);
        assertEq(_task(id2).verifierSeedBlock, block.number);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyDrawn.selector, id2));
        tm.drawVerifiers(id2);

        uint256 id3 = _createTask(REWARD, 3);
        _commit(id3, computes[0], GOOD);
        vm.warp(_task(id3).verifyDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooLate.selector, id3, _task(id3).verifyDeadline));
        tm.drawVerifiers(id3);
    }

    function test_verifierCommit_lotteryExcludesUndrawn() public {
        _stakeNodes(0, 27); // V = 30, expectedVerifiers 3: about 3 drawn
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(2);
        address[] memory drawn = _verifiers(id);
        assertLt(drawn.length, 30);
        for (uint256 i = 0; i < validators.length; ++i) {
            (, bool v,) = tm.isEligible(id, validators[i]);
            if (!v) {
                vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, validators[i]));
                _commit(id, validators[i], GOOD);
                return;
            }
        }
        revert("every validator drawn");
    }
}
