// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {TaskManagerBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, TaskRequest, SignedCommit, TaskStatus} from "../../contracts/types/TaskTypes.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {
    ReentrantConsumer, ReturnBombConsumer, GasGuzzlerConsumer, RecordingConsumer
} from "../../contracts/mocks/TestConsumers.sol";

/// @notice The attacks of PROTOCOL.md's "Why" sections and issue 4, each as a test that fails if it works.
contract TaskManagerSecurityTest is TaskManagerBase {
    bytes internal constant OUT = bytes("{\"outputs\":[{\"name\":\"y\",\"dims\":[1],\"data\":[1]}]}");

    function setUp() public override {
        super.setUp();
        _stakeNodes(5, 3);
    }

    // ------------------------------------------------------------------ helpers

    function _finalizedWith(address callback, uint32 gasLimit) internal returns (uint256 id, address node) {
        TaskRequest memory req = _request(REWARD, 1);
        req.callback = callback;
        req.callbackGasLimit = gasLimit;
        id = _createTaskWith(req);
        node = _byRank(id)[0];
        _commit(id, node, keccak256(OUT));
        _toCommitEnd(id);
        _reveal(id, node, keccak256(OUT));
        _toRevealEnd(id);
        tm.finalize(id);
    }

    function _disputedSetup(bytes32[] memory seatHashes) internal returns (uint256 id, address[] memory seats) {
        _stakeNodes(0, 3); // V = 6
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        (id, seats) = _seated(uint8(seatHashes.length), seatHashes);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
    }

    function _commitAndRevealValidators(uint256 id, bytes32 h) internal {
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], h);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], h);
        _toCommitEnd(id);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], h);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], h);
    }

    // ------------------------------------------------------------------ consumers

    function test_deliver_reentrantConsumerCannotReenter() public {
        ReentrantConsumer consumer = new ReentrantConsumer(ITaskManager(address(tm)));
        (uint256 id, address node) = _finalizedWith(address(consumer), 500_000);
        vm.prank(node);
        tm.claim(id);
        bytes memory guard = abi.encodeWithSelector(ReentrancyGuard.ReentrancyGuardReentrantCall.selector);
        for (uint8 mode = 1; mode <= 3; ++mode) {
            uint256 snap = vm.snapshotState();
            consumer.arm(mode, OUT);
            uint256 balance = token.balanceOf(address(tm));
            vm.expectEmit(address(tm));
            emit ITaskManager.CallbackFailed(id, guard);
            tm.deliver(id, OUT);
            assertEq(token.balanceOf(address(tm)), balance, "nothing moved by the re-entry");
            assertTrue(_task(id).delivered);
            vm.revertToState(snap);
        }
    }

    function test_deliver_returnBombCopiesAtMost256Bytes() public {
        ReturnBombConsumer consumer = new ReturnBombConsumer();
        (uint256 id,) = _finalizedWith(address(consumer), 1_000_000);
        vm.recordLogs();
        uint256 g = gasleft();
        tm.deliver(id, OUT);
        uint256 used = g - gasleft();
        bytes memory reason = _lastCallbackFailure(id);
        assertEq(reason.length, 256);
        assertLt(used, 200_000, "no quadratic memory cost for 100 kB of revert data");
        assertTrue(_task(id).delivered);
    }

    function test_deliver_allGasConsumerDoesNotBlockTheTask() public {
        GasGuzzlerConsumer consumer = new GasGuzzlerConsumer();
        (uint256 id,) = _finalizedWith(address(consumer), 300_000);
        vm.expectEmit(address(tm));
        emit ITaskManager.CallbackFailed(id, "");
        tm.deliver{gas: 600_000}(id, OUT);
        assertTrue(_task(id).delivered);
    }

    function test_deliver_revertsWithTooLittleGasForTheCallback() public {
        RecordingConsumer consumer = new RecordingConsumer();
        (uint256 id,) = _finalizedWith(address(consumer), 1_000_000);
        vm.expectPartialRevert(ITaskManager.TaskManagerInsufficientGas.selector);
        tm.deliver{gas: 900_000}(id, OUT);
        assertFalse(_task(id).delivered, "a starved delivery leaves the task undelivered");
        assertEq(consumer.calls(), 0);
        tm.deliver{gas: 1_200_000}(id, OUT);
        assertEq(consumer.calls(), 1);
        assertGe(consumer.gasAtEntry(), 990_000, "the consumer got its limit");
    }

    function _lastCallbackFailure(uint256 id) internal returns (bytes memory) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            Vm.Log memory entry = logs[i - 1];
            if (entry.emitter == address(tm) && entry.topics[0] == ITaskManager.CallbackFailed.selector) {
                assertEq(entry.topics[1], bytes32(id));
                return abi.decode(entry.data, (bytes));
            }
        }
        revert("no CallbackFailed");
    }

    // ------------------------------------------------------------------ commitments

    function test_oneCommitPerNode_evenAcrossPlaces() public {
        address both = _newNode("both-roles", BOTH, STAKE);
        computes.push(both);
        validators.push(both);
        skip(1);
        uint256 id = _createTask(REWARD, 3);
        _commit(id, both, keccak256(OUT));
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(2);
        (bool s, bool v, bool j) = tm.isEligible(id, both);
        assertFalse(s || v || j);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerAlreadyCommitted.selector, id, both));
        _commit(id, both, keccak256(OUT));
    }

    function test_copiedCommitmentCannotBeRevealed() public {
        uint256 id = _createTask(REWARD, 3);
        address honest = computes[0];
        address copier = computes[1];
        bytes32 c = _commitment(id, honest, GOOD);
        vm.prank(honest);
        tm.commit(id, c, "sealed");
        vm.prank(copier);
        tm.commit(id, c, "copied"); // accepted (it is opaque), but bound to the honest node
        _toCommitEnd(id);
        _reveal(id, honest, GOOD);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongReveal.selector, id, copier));
        tm.reveal(id, copier, GOOD, _salt(id, honest));
        _toRevealEnd(id);
        tm.finalize(id);
        assertTrue(tm.isLiquidatable(id, copier), "the copier is a silent node");
    }

    function test_relayerCannotSwapTheSealedOutput() public {
        uint256 id = _createTask(REWARD, 3);
        address node = computes[0];
        SignedCommit memory c =
            _sign(id, node, _commitment(id, node, GOOD), "sealed to the requester", block.timestamp + 1 hours);
        c.sealedOutput = "garbage from the relayer";
        vm.expectRevert();
        vm.prank(stranger);
        tm.commitWithSig(c);
        assertEq(tm.commitmentOf(id, node).commitment, bytes32(0));
    }

    function test_frontRunPermitDoesNotBlockCreateTask() public {
        (address user, uint256 key) = makeAddrAndKey("permit-user");
        vm.prank(treasury);
        token.transfer(user, REWARD);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                user,
                address(tm),
                REWARD,
                token.nonces(user),
                deadline
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(key, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
        vm.prank(stranger); // the attacker submits the permit first
        token.permit(user, address(tm), REWARD, deadline, v, r, s);
        vm.prank(user);
        uint256 id = tm.createTaskWithPermit(_request(REWARD, 3), deadline, v, r, s);
        assertEq(_task(id).requester, user);
        assertEq(token.balanceOf(address(tm)), REWARD);
    }

    // ------------------------------------------------------------------ the rule and the money

    function test_undisputedDissentLiquidatesNobody() public {
        // captured seats outvote a lone honest verifier 3:1; nobody disputes
        (uint256 id, address[] memory seats) = _seated(3, _hashes(BAD, BAD, BAD));
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(2);
        address honest = validators[0];
        _commit(id, honest, GOOD);
        _toCommitEnd(id);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], BAD);
        _reveal(id, honest, GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Unresolved));
        assertFalse(tm.isLiquidatable(id, honest));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, honest));
        vm.prank(seats[0]);
        tm.liquidate(id, honest);
        uint256 stakeBefore = staking.stakeOf(honest);
        vm.prank(honest);
        tm.claim(id);
        assertEq(tm.creditOf(honest), 20 ether, "paid min(w, fee / 1)");
        assertEq(staking.stakeOf(honest), stakeBefore);
        assertEq(staking.lockedOf(honest), 0);
    }

    function test_disputingOwnTaskCannotDrainThePool() public {
        vm.prank(requester);
        tm.fundPool(1_000 ether);
        (uint256 id, address[] memory seats) = _disputedSetup(_hashes(BAD, BAD, BAD));
        _commitAndRevealValidators(id, BAD); // the attacker's validators agree with its seats
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], BAD);
        _toRevealEnd(id);
        tm.finalize(id);
        uint256 fee = 20 ether;
        Task memory t = _task(id);
        uint256 v = _verifiers(id).length + _jurors(id).length;
        assertLe(t.verifierPay * v, fee, "pay capped at the task's own fee");
        assertGe(tm.verificationPool(), 1_000 ether, "other tasks' fees untouched");
    }

    function test_groundlessDisputeForfeitsBond_foundedDoesNot() public {
        uint256 snap = vm.snapshotState();
        (uint256 id, address[] memory seats) = _disputedSetup(_hashes(GOOD, GOOD, GOOD));
        _commitAndRevealValidators(id, GOOD);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(tm.creditOf(requester), 0, "groundless: bond forfeited");
        assertGt(_task(id).bondShare, 0);
        vm.revertToState(snap);

        (id, seats) = _disputedSetup(_hashes(GOOD, GOOD, BAD));
        _commitAndRevealValidators(id, GOOD);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], i == 2 ? BAD : GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        assertEq(_task(id).bondShare, 0);
        assertEq(tm.creditOf(requester), REWARD + 25 ether, "founded: bond back + the wrong seat's share");
    }

    function test_sealedGarbageAndWithholdingDoesNotStealTheBond() public {
        // the seats committed but one withholds: the bond is not forfeited (not every commitment revealed)
        (uint256 id, address[] memory seats) = _disputedSetup(_hashes(GOOD, GOOD, GOOD));
        _commitAndRevealValidators(id, GOOD);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        assertEq(tm.creditOf(requester), REWARD + 25 ether, "bond back + the silent seat's share");
    }

    function test_withheldRevealCostsWhatAWrongOneDoes() public {
        (uint256 id, address[] memory seats) = _disputedSetup(_hashes(GOOD, BAD, BAD));
        _commitAndRevealValidators(id, GOOD);
        _reveal(id, seats[0], GOOD);
        _reveal(id, seats[1], BAD); // seats[2] withholds its BAD
        _toRevealEnd(id);
        tm.finalize(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Finalized));
        vm.startPrank(seats[0]);
        tm.liquidate(id, seats[1]);
        tm.liquidate(id, seats[2]);
        vm.stopPrank();
        assertEq(staking.stakeOf(seats[1]), staking.stakeOf(seats[2]));
        assertEq(staking.stakeOf(seats[2]), 0, "slashBps 100 %");
    }

    function test_nodeUnbondingMidTaskIsStillSlashed() public {
        (uint256 id, address[] memory seats) = _seated(1, _hashes(GOOD));
        address node = seats[0];
        uint256 bond = _task(id).bond;
        vm.prank(node);
        staking.requestUnstake(STAKE - bond); // everything it can
        (uint256 unbonding,) = staking.unbondingOf(node);
        assertEq(unbonding, STAKE - bond);
        _toRevealEnd(id);
        tm.finalize(id); // no reveal: Unresolved
        vm.prank(stranger);
        tm.liquidate(id, node);
        (uint256 after_,) = staking.unbondingOf(node);
        assertEq(after_, unbonding - unbonding * 1_000 / 10_000, "noRevealSlashBps of the unbonding amount");
        assertEq(staking.stakeOf(node), 0);
    }

    function test_slashNeverExceedsWhatTheNodeHas() public {
        (uint256 id, address[] memory seats) = _disputedSetup(_hashes(GOOD, GOOD, BAD));
        _commitAndRevealValidators(id, GOOD);
        for (uint256 i = 0; i < 3; ++i) _reveal(id, seats[i], i == 2 ? BAD : GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        uint256 has = staking.stakeOf(seats[2]);
        uint256 tmBefore = token.balanceOf(address(tm));
        vm.prank(seats[0]);
        tm.liquidate(id, seats[2]);
        assertEq(token.balanceOf(address(tm)) - tmBefore, has);
        assertEq(staking.stakeOf(seats[2]), 0);
    }

    function test_bondLockedForOneTaskCannotBeTakenByAnother() public {
        uint256 a = _createTask(REWARD, 5);
        uint256 b = _createTask(REWARD, 5);
        address node = computes[0];
        _commit(a, node, GOOD);
        _commit(b, node, GOOD);
        _commit(b, computes[1], GOOD);
        uint256 bondA = tm.commitmentOf(a, node).bond;
        assertEq(staking.lockedOf(node), 2 * bondA);
        _toCommitEnd(a);
        _reveal(a, node, GOOD); // honest in A, silent in B
        _reveal(b, computes[1], GOOD);
        _toRevealEnd(b);
        tm.finalize(a);
        tm.finalize(b);
        assertEq(uint8(tm.statusOf(b)), uint8(TaskStatus.Finalized));
        vm.prank(stranger);
        tm.liquidate(b, node);
        // B's liquidation (slashBps 100 %) took B's bond and all of the unlocked rest, never A's bond
        assertEq(staking.stakeOf(node), bondA);
        assertEq(staking.lockedOf(node), bondA);
        vm.prank(node);
        tm.claim(a);
        assertEq(staking.lockedOf(node), 0);
    }

    function test_nobodyButTheRuleMovesEscrow() public {
        (uint256 id, address[] memory seats) = _seated(3, _hashes(GOOD, GOOD, GOOD));
        uint256 held = token.balanceOf(address(tm));
        assertEq(held, REWARD);
        _toSeatEnd(id);
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeatsCommitted.selector, id));
        tm.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNothingToWithdraw.selector, requester));
        tm.withdraw();
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        vm.prank(seats[0]);
        tm.claim(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        tm.liquidate(id, seats[1]);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        tm.release(id, seats[1]);
        vm.expectRevert();
        tm.spendPool(stranger, 1);
        assertEq(token.balanceOf(address(tm)), held);
        assertEq(tm.creditOf(requester) + tm.creditOf(seats[0]) + tm.verificationPool(), 0);
    }
}
