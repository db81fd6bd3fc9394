// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerBase} from "./base/TaskManagerBase.t.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, TaskStatus, SignedCommit} from "../../contracts/types/TaskTypes.sol";

/// @notice Regression tests of the 2026-12-06 security review (../shared/reviews/2026-12-06-contracts-audit.md). Each
///         test keeps the setup of the review's proof of concept (2026-12-06-audit-poc/AuditPoC.t.sol) and asserts the
///         opposite outcome: under PROTOCOL.md v4 the harm cannot happen. M-2 (ExampleConsumer) is in
///         ExampleConsumer.t.sol; the NodeStaking side of M-1 (the cooldown) in NodeStaking.t.sol.
contract AuditRegressionsTest is TaskManagerBase {
    /// @dev NodeStaking's cooldown error (PROTOCOL.md §1), by selector.
    bytes4 internal constant COOLDOWN = bytes4(keccak256("NodeStakingCooldown(address,uint64)"));

    // ------------------------------------------------------------------ helpers

    /// @dev Whether `node` has the best (rank, address) of the compute nodes right now.
    function _isBest(uint256 id, address node) internal view returns (bool) {
        uint256 r = tm.rankOf(id, node);
        if (r == type(uint256).max) return false;
        for (uint256 i = 0; i < computes.length; ++i) {
            address o = computes[i];
            if (o == node) continue;
            uint256 ro = tm.rankOf(id, o);
            if (ro < r || (ro == r && o < node)) return false;
        }
        return true;
    }

    /// @dev Re-roll the hash of `blockNo` until `node` is a juror (not a sampled verifier) of the disputed `id`.
    function _makeJuror(uint256 id, uint256 blockNo, address node) internal {
        for (uint256 i = 0; i < 64; ++i) {
            vm.setBlockhash(blockNo, keccak256(abi.encode("dispute block", i)));
            (, bool v, bool j) = tm.isEligible(id, node);
            if (j && !v) return;
        }
        revert("setup: node never a juror");
    }

    /// @dev A one-seat task seated by its best-ranked node with GOOD, disputed by the requester; the seeds stored two
    ///      blocks later, as the bots do.
    function _disputed(uint256 nc, uint256 nv) internal returns (uint256 id, address seat) {
        _stakeNodes(nc, nv);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        id = _createTask(REWARD, 1);
        seat = _byRank(id)[0];
        _commit(id, seat, GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        tm.fixSeed(id, 3);
    }

    function _settle(uint256 id, address seat) internal {
        _toCommitEnd(id);
        _reveal(id, seat, GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
    }

    // =================================================================================================================
    // H-1: a juror is never refused for want of stake, and never judged by its stake at liquidation time.
    // =================================================================================================================
    function test_H1_busyJurorCommitsWithTheBondItHasAndIsNeverSlashed() public {
        _stakeNodes(3, 3);
        address x = _newNode("busy-honest", BOTH, 37_550 ether);
        skip(1);
        uint256 a = _createTask(500 ether, 1);
        assertEq(_task(a).bond, 37_500 ether);
        _commit(a, x, GOOD);
        assertEq(staking.unlockedOf(x), 50 ether);

        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        skip(10);
        uint256 b = _createTask(REWARD, 1);
        address seat = _byRank(b)[0];
        _commit(b, seat, GOOD);
        _toSeatEnd(b);
        uint256 disputeBlock = block.number;
        vm.prank(requester);
        tm.dispute(b);
        _roll(2);
        _makeJuror(b, disputeBlock + 1, x);

        // v4: the busy juror commits, locking the 50 OMNIT it has (min(bond, unlocked)).
        uint256 lockedBefore = staking.lockedOf(x);
        _commit(b, x, GOOD);
        assertEq(tm.commitmentOf(b, x).place, 3);
        assertEq(tm.commitmentOf(b, x).bond, 50 ether);
        assertEq(staking.lockedOf(x) - lockedBefore, 50 ether);

        _toCommitEnd(b);
        _reveal(a, x, GOOD);
        _reveal(b, seat, GOOD);
        _reveal(b, x, GOOD);
        _toRevealEnd(b);
        tm.finalize(a);
        tm.finalize(b);

        // The review's attack: release X's other bond, then liquidate it in B. It finds nothing to take.
        uint256 stakeBefore = staking.stakeOf(x);
        vm.startPrank(stranger);
        tm.release(a, x);
        assertFalse(tm.isLiquidatable(b, x));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, b, x));
        tm.liquidate(b, x);
        vm.stopPrank();
        assertEq(staking.stakeOf(x), stakeBefore, "the honest juror keeps its stake");
        vm.prank(x);
        tm.claim(b);
        assertGt(tm.creditOf(x), 0, "and is paid for its jury duty");
    }

    function test_H1_jurorWithZeroUnlockedStakeCommitsWithBondZero() public {
        _stakeNodes(3, 3);
        address x = _newNode("all-locked", BOTH, 37_500 ether);
        skip(1);
        uint256 a = _createTask(500 ether, 1);
        _commit(a, x, GOOD);
        assertEq(staking.unlockedOf(x), 0);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        skip(10);
        uint256 b = _createTask(REWARD, 1);
        _commit(b, _byRank(b)[0], GOOD);
        _toSeatEnd(b);
        uint256 disputeBlock = block.number;
        vm.prank(requester);
        tm.dispute(b);
        _roll(2);
        _makeJuror(b, disputeBlock + 1, x);
        (,, bool juror) = tm.isEligible(b, x);
        assertTrue(juror, "eligible whatever its unlocked stake");
        _commit(b, x, GOOD);
        assertEq(tm.commitmentOf(b, x).bond, 0);
        assertEq(tm.commitmentOf(b, x).place, 3);
    }

    // =================================================================================================================
    // M-1: jury duty cannot be escaped by switching the VALIDATOR role off and on, nor by unstaking.
    // =================================================================================================================
    function test_M1_absentJurorCannotEscapeBySwitchingItsRoleOffAndOn() public {
        (uint256 id, address seat) = _disputed(3, 6);
        address[] memory js = _jurors(id);
        assertGe(js.length, 2, "setup: two jurors");
        address dodger = js[0];
        skip(12); // a later block
        vm.prank(dodger);
        staking.stake(0, COMPUTE, "ipfs://node"); // drops VALIDATOR
        vm.prank(dodger); // and cannot take it back for unbondingPeriod
        (bool ok, bytes memory err) =
            address(staking).call(abi.encodeCall(staking.stake, (0, VALIDATOR, "ipfs://node")));
        assertFalse(ok, "the role does not come back");
        assertEq(bytes4(err), COOLDOWN);
        _settle(id, seat);
        assertTrue(tm.isLiquidatable(id, dodger), "the record of its run still says it was drawn");
        vm.prank(stranger);
        tm.liquidate(id, dodger);
        assertEq(staking.stakeOf(dodger), STAKE - STAKE / 10);
    }

    function test_M1_absentJurorCannotEscapeByUnstakingBeforeLiquidation() public {
        (uint256 id, address seat) = _disputed(3, 6);
        address dodger = _jurors(id)[0];
        _settle(id, seat);
        assertTrue(tm.isLiquidatable(id, dodger));
        vm.prank(dodger);
        staking.requestUnstake(STAKE); // the review's front-run
        assertTrue(tm.isLiquidatable(id, dodger), "never excused");
        vm.prank(stranger);
        tm.liquidate(id, dodger);
        (uint256 unbonding,) = staking.unbondingOf(dodger);
        assertEq(unbonding, STAKE - STAKE / 10, "the slash reaches the unbonding amount");
    }

    // =================================================================================================================
    // H-2 (a): nobody can pick the jury seed after 256 blocks and slash a validator that was never a juror.
    // =================================================================================================================
    function test_H2a_liquidatorCannotChooseTheJurySeed() public {
        _stakeNodes(3, 30);
        vm.startPrank(owner);
        tm.setJurySize(11);
        tm.setExpectedVerifiers(1);
        vm.stopPrank();
        uint256 id = _createTask(REWARD, 1);
        address seat = _byRank(id)[0];
        _commit(id, seat, GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        address victim;
        for (uint256 i = 0; i < validators.length; ++i) {
            (, bool v, bool j) = tm.isEligible(id, validators[i]);
            if (!v && !j) {
                victim = validators[i];
                break;
            }
        }
        assertTrue(victim != address(0), "setup: a non-juror");
        // nobody stores the jury seed within 256 blocks
        _roll(300);
        _settle(id, seat);
        for (uint256 i = 0; i < 200; ++i) {
            _roll(1);
            vm.setBlockhash(block.number - 1, keccak256(abi.encode("chain", i)));
            assertFalse(tm.isLiquidatable(id, victim), "no block makes the victim liable");
        }
        // storing the seed now (re-anchored, then fixed) is too late to bind anybody as an absent juror
        tm.fixSeed(id, 3);
        _roll(2);
        tm.fixSeed(id, 3);
        assertTrue(_task(id).jurySeed != bytes32(0));
        assertFalse(_task(id).juryLiable);
        for (uint256 i = 0; i < validators.length; ++i) assertFalse(tm.isLiquidatable(id, validators[i]));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, victim));
        vm.prank(stranger);
        tm.liquidate(id, victim);
        assertEq(staking.stakeOf(victim), STAKE);
    }

    // =================================================================================================================
    // H-2 (b): after 256 blocks no node can grind the seat seed by choosing the block of its commit.
    // =================================================================================================================
    function test_H2b_noSeatSeedGrindingAfter256Blocks() public {
        _stakeNodes(10, 3);
        uint256 id = _createTask(REWARD, 1);
        address attacker = _byRank(id)[9];
        _roll(300);
        skip(1 hours);
        for (uint256 i = 0; i < 100; ++i) {
            _roll(1);
            vm.setBlockhash(block.number - 1, keccak256(abi.encode("grind", i)));
            assertFalse(_isBest(id, attacker), "ranks are unknown while the seed is lost");
            vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeedNotReady.selector, id, uint8(1)));
            _commit(id, attacker, BAD);
        }
        // the re-anchored seed comes from the block after the fixSeed call, whoever calls it
        uint256 b = block.number;
        vm.prank(attacker);
        tm.fixSeed(id, 1);
        _roll(2);
        address best = _byRank(id)[0];
        assertEq(
            tm.rankOf(id, best),
            uint256(keccak256(abi.encode(keccak256(abi.encode(blockhash(b + 1), id, uint8(1))), best, uint8(1)))) % 10
        );
        _commit(id, best, GOOD);
        assertEq(_task(id).seatHolders[0], best);
    }

    // =================================================================================================================
    // H-2 (c): after 256 blocks a cheater cannot pick a verifier draw with no honest verifier.
    // =================================================================================================================
    function test_H2c_cheaterCannotChooseTheVerifierDraw() public {
        _stakeNodes(3, 20);
        address cheatValidator = _newNode("cheat-validator", VALIDATOR, STAKE);
        skip(1);
        vm.prank(owner);
        tm.setExpectedVerifiers(1);
        uint256 id = _createTask(REWARD, 1);
        _commit(id, _byRank(id)[0], BAD);
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(300);
        for (uint256 i = 0; i < 100; ++i) {
            _roll(1);
            vm.setBlockhash(block.number - 1, keccak256(abi.encode("verify", i)));
            (, bool mine,) = tm.isEligible(id, cheatValidator);
            assertFalse(mine, "no verifier place while the seed is lost");
            vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeedNotReady.selector, id, uint8(2)));
            _commit(id, cheatValidator, BAD);
        }
        uint256 b = block.number;
        vm.prank(cheatValidator);
        tm.fixSeed(id, 2);
        assertEq(_task(id).verifierSeedBlock, b, "re-anchored to the block of the call");
        _roll(2);
        tm.fixSeed(id, 2);
        assertEq(_task(id).verifierSeed, keccak256(abi.encode(blockhash(b + 1), id, uint8(2))));
    }

    // =================================================================================================================
    // M-3 (design, still open in v4): a garbage seal plus a reveal of R costs the requester at most its dispute bond.
    // =================================================================================================================
    function test_M3_garbageSealResidualIsBoundedByTheDisputeBond() public {
        (uint256 id, address seat) = _disputed(3, 6);
        address[] memory vs = _verifiers(id);
        address[] memory js = _jurors(id);
        for (uint256 i = 0; i < vs.length; ++i) _commit(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _commit(id, js[i], GOOD);
        _toCommitEnd(id);
        _reveal(id, seat, GOOD);
        for (uint256 i = 0; i < vs.length; ++i) _reveal(id, vs[i], GOOD);
        for (uint256 i = 0; i < js.length; ++i) _reveal(id, js[i], GOOD);
        _toRevealEnd(id);
        uint256 before = tm.creditOf(requester);
        tm.finalize(id);
        Task memory t = _task(id);
        assertEq(uint8(t.status), uint8(TaskStatus.Finalized));
        // the requester gets the accepted answer; what it loses is the bond (= reward), never more
        assertEq(t.disputeBond, REWARD);
        assertEq(tm.creditOf(requester) - before, 0);
        assertEq(t.bondShare * (vs.length + js.length) + (REWARD % (vs.length + js.length)), REWARD);
    }

    // =================================================================================================================
    // L-1: a Commit signature names its place; a seat signature cannot be replayed as a verifier commitment.
    // =================================================================================================================
    function test_L1_seatSignatureCannotBeReplayedAsVerifierCommit() public {
        _stakeNodes(4, 0);
        address both = _newNode("both", BOTH, STAKE);
        skip(1);
        uint256 id = _createTask(REWARD, 1);
        _commit(id, _byRank(id)[0], GOOD);
        SignedCommit memory sc =
            _sign(id, both, _commitment(id, both, GOOD), _sealed(id, both), block.timestamp + 1 days);
        _toSeatEnd(id);
        tm.drawVerifiers(id);
        _roll(2);
        (, bool v,) = tm.isEligible(id, both);
        assertTrue(v, "setup: both is the sampled verifier (V = 1)");
        uint256 lockedBefore = staking.lockedOf(both);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongPlace.selector, id, both, uint8(1)));
        vm.prank(stranger);
        tm.commitWithSig(sc);
        assertEq(staking.lockedOf(both), lockedBefore, "no bond the node did not choose");
        // in a batch the same entry is skipped with the reason
        SignedCommit[] memory cs = new SignedCommit[](1);
        cs[0] = sc;
        vm.expectEmit(address(tm));
        emit ITaskManager.CommitSkipped(
            id, both, abi.encodeWithSelector(ITaskManager.TaskManagerWrongPlace.selector, id, both, uint8(1))
        );
        tm.commitBatch(cs);
        // a signature for the verifier place is accepted
        tm.commitWithSig(_signAt(id, both, 2, _commitment(id, both, GOOD), _sealed(id, both), block.timestamp + 1));
        assertEq(tm.commitmentOf(id, both).place, 2);
        // a place outside 1..3 is refused before the signature is even checked
        sc.place = 4;
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerWrongPlace.selector, id, both, uint8(4)));
        tm.commitWithSig(sc);
    }

    // =================================================================================================================
    // L-2: p counts seat holders that are members of V only.
    // =================================================================================================================
    function test_L2_seatHolderThatAddedValidatorAfterCreationIsNotInP() public {
        _stakeNodes(5, 3);
        uint256 id = _createTask(REWARD, 3);
        address[] memory sorted = _byRank(id);
        // the best-ranked compute node adds VALIDATOR after createdAt: it is not in V
        vm.prank(sorted[0]);
        staking.stake(0, BOTH, "ipfs://node");
        for (uint256 i = 0; i < 3; ++i) _commit(id, sorted[i], GOOD);
        assertFalse(tm.commitmentOf(id, sorted[0]).validatorRole, "not counted in p");
    }

    // =================================================================================================================
    // L-5: liquidation ends revealDeadline + liquidationWindow after creation; every bond is then releasable.
    // =================================================================================================================
    function test_L5_liquidationEndsAndSilentBondsBecomeReleasable() public {
        _stakeNodes(5, 0);
        uint256 id = _createTask(REWARD, 2);
        address[] memory sorted = _byRank(id);
        _commit(id, sorted[0], GOOD);
        _commit(id, sorted[1], GOOD);
        _toCommitEnd(id);
        _reveal(id, sorted[0], GOOD); // sorted[1] stays silent
        _toRevealEnd(id);
        tm.finalize(id);
        Task memory t = _task(id);
        assertEq(t.liquidationDeadline, t.revealDeadline + 3 days);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerBondAtRisk.selector, id, sorted[1]));
        tm.release(id, sorted[1]);
        vm.warp(t.liquidationDeadline);
        assertFalse(tm.isLiquidatable(id, sorted[1]));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooLate.selector, id, t.liquidationDeadline));
        vm.prank(sorted[0]);
        tm.liquidate(id, sorted[1]);
        uint256 locked = staking.lockedOf(sorted[1]);
        tm.release(id, sorted[1]);
        assertEq(locked - staking.lockedOf(sorted[1]), t.bond);
    }

    // =================================================================================================================
    // The review's closing advice, as properties.
    // =================================================================================================================

    /// @notice No caller can change a seed by choosing the block of its call: for any delay and any parent hash of
    ///         the storing call, the stored seed is keccak256(blockhash(b + 1), taskId, kind) of the block b that
    ///         asked for it (or of the block that re-anchored it).
    function testFuzz_seedDoesNotDependOnTheStoringCallsBlock(uint16 delay, bytes32 parentA, bytes32 parentB) public {
        _stakeNodes(3, 0);
        vm.prank(requester);
        uint256 id = tm.createTask(_request(REWARD, 1));
        uint256 b = block.number;
        bytes32 hb = keccak256(abi.encode("b+1", b));
        vm.roll(b + 2 + (uint256(delay) % 600));
        vm.setBlockhash(b + 1, hb);
        uint256 snap = vm.snapshotState();
        bytes32 seedA = _storeSeatSeedWithParent(id, b, parentA);
        vm.revertToState(snap);
        bytes32 seedB = _storeSeatSeedWithParent(id, b, parentB);
        assertEq(seedA, seedB, "the parent hash of the storing call changes nothing");
        if (block.number <= b + 257) assertEq(seedA, keccak256(abi.encode(hb, id, uint8(1))));
    }

    /// @dev Set the storing call's parent hash (unless that parent is b + 1 itself, the seed's own block, whose hash
    ///      was fixed before anyone could store), call fixSeed (re-anchoring if lost, then storing two blocks later
    ///      with a fixed hash for the new anchor's successor) and return the stored seat seed.
    function _storeSeatSeedWithParent(uint256 id, uint256 b, bytes32 parent) internal returns (bytes32) {
        if (block.number - 1 > b + 1) vm.setBlockhash(block.number - 1, parent);
        tm.fixSeed(id, 1);
        if (_task(id).seatSeed != bytes32(0)) return _task(id).seatSeed;
        uint256 anchor = _task(id).seatSeedBlock;
        assertEq(anchor, block.number, "re-anchored to the call's own block");
        vm.roll(anchor + 2);
        vm.setBlockhash(anchor + 1, keccak256(abi.encode("anchor+1", anchor)));
        tm.fixSeed(id, 1);
        return _task(id).seatSeed;
    }

    /// @notice A node refused at commit, or not drawn under a seed visible in time, is never liquidatable; absent
    ///         drawn jurors are, exactly when the jury seed was stored in time.
    function testFuzz_onlyDrawnAbsentJurorsAreLiquidatable(uint8 jurySize, uint8 fixDelayHours, bool commitSome)
        public
    {
        _stakeNodes(3, 14);
        vm.startPrank(owner);
        tm.setJurySize(11 + (uint256(jurySize) % 5));
        tm.setExpectedVerifiers(1);
        vm.stopPrank();
        uint256 id = _createTask(REWARD, 1);
        address seat = _byRank(id)[0];
        _commit(id, seat, GOOD);
        _toSeatEnd(id);
        vm.prank(requester);
        tm.dispute(id);
        _roll(2);
        // the jury seed is stored after a random delay, possibly after createdAt + commitWindow − seatWindow
        skip(uint256(fixDelayHours) % 16 hours);
        tm.fixSeed(id, 3);
        bool liable = _task(id).juryLiable;
        assertEq(liable, block.timestamp <= _task(id).juryDeadline);
        bool[] memory drawn = new bool[](validators.length);
        bool[] memory committed = new bool[](validators.length);
        for (uint256 i = 0; i < validators.length; ++i) {
            (, bool v, bool j) = tm.isEligible(id, validators[i]);
            drawn[i] = j && !v;
            if (!v && !j && block.timestamp < _task(id).commitDeadline) {
                vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotEligible.selector, id, validators[i]));
                _commit(id, validators[i], GOOD); // refused at commit
            } else if ((v || j) && commitSome && i % 2 == 0 && block.timestamp < _task(id).commitDeadline) {
                _commit(id, validators[i], GOOD);
                committed[i] = true;
            }
        }
        _toCommitEnd(id);
        _reveal(id, seat, GOOD);
        for (uint256 i = 0; i < validators.length; ++i) if (committed[i]) _reveal(id, validators[i], GOOD);
        _toRevealEnd(id);
        tm.finalize(id);
        for (uint256 i = 0; i < validators.length; ++i) {
            bool expected = liable && drawn[i] && !committed[i];
            assertEq(tm.isLiquidatable(id, validators[i]), expected);
        }
    }
}
