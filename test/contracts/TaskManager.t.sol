// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerBase} from "./base/TaskManagerBase.t.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, TaskRequest, SignedCommit, TaskStatus, Commitment, HashTally} from "../../contracts/types/TaskTypes.sol";
import {RecordingConsumer, RevertingConsumer} from "../../contracts/mocks/TestConsumers.sol";

/// @notice Unit tests of every TaskManager function and its reverts (PROTOCOL.md §4, §6, §9).
contract TaskManagerTest is TaskManagerBase {
    uint256 internal constant W = 25 ether; // (100 − 5 royalty − 20 fee) / 3
    uint256 internal constant FEE = 20 ether;
    uint256 internal constant ROYALTY = 5 ether;
    uint256 internal constant BOND = 2_500 ether; // max(100 OMNIT, 100 × W)

    function setUp() public override {
        super.setUp();
        _stakeNodes(5, 3); // C = 5, V = 3 ≤ expectedVerifiers: every validator is a sampled verifier
    }

    // ================================================================== deployment, parameters

    function test_constructor_setsDefaultsAndDomain() public view {
        assertEq(tm.seatWindow(), 5 hours);
        assertEq(tm.verifyWindow(), 10 hours);
        assertEq(tm.disputeWindow(), 11 hours);
        assertEq(tm.commitWindow(), 20 hours);
        assertEq(tm.jurySize(), 51);
        assertEq(tm.revealWindow(), 4 hours);
        assertEq(tm.seatStep(), 30 minutes);
        assertEq(tm.seatFactor(), 4);
        assertEq(tm.expectedVerifiers(), 3);
        assertEq(tm.minCommitBond(), 100 ether);
        assertEq(tm.bondMultiplier(), 100);
        assertEq(tm.slashBps(), 10_000);
        assertEq(tm.noRevealSlashBps(), 1_000);
        assertEq(tm.liquidatorBountyBps(), 500);
        assertEq(tm.verifierFeeBps(), 2_000);
        assertEq(tm.maxRedundancy(), 10);
        assertEq(tm.maxCallbackGas(), 2_000_000);
        assertEq(tm.minReward(), 1 ether);
        assertEq(tm.treasury(), treasury);
        assertEq(tm.token(), address(token));
        assertEq(tm.staking(), address(staking));
        assertEq(tm.registry(), address(registry));
        assertEq(tm.owner(), owner);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = tm.eip712Domain();
        assertEq(name, "OmniTensor TaskManager");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(tm));
    }

    function test_constructor_revertsOnZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroAddress.selector, "staking"));
        new TaskManager(address(token), address(0), address(registry), treasury, owner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroAddress.selector, "treasury"));
        new TaskManager(address(token), address(staking), address(registry), address(0), owner);
    }

    function test_digests_matchEip712() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("OmniTensor TaskManager"),
                keccak256("1"),
                block.chainid,
                address(tm)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Commit(uint256 taskId,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)"),
                7,
                bytes32(uint256(1)),
                bytes32(uint256(2)),
                3
            )
        );
        assertEq(tm.commitDigest(7, bytes32(uint256(1)), bytes32(uint256(2)), 3), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        bytes32 saltHash = keccak256(abi.encode(keccak256("Salt(uint256 taskId)"), 7));
        assertEq(tm.saltDigest(7), keccak256(abi.encodePacked("\x19\x01", domain, saltHash)));
    }

    function test_setters_ownerOnlyAndBounded() public {
        vm.expectRevert();
        tm.setJurySize(21);

        vm.startPrank(owner);
        tm.setJurySize(21);
        assertEq(tm.jurySize(), 21);
        _expectBounds("jurySize", 10);
        tm.setJurySize(10);
        _expectBounds("jurySize", 256);
        tm.setJurySize(256);
        _expectBounds("seatWindow", 59 minutes);
        tm.setSeatWindow(59 minutes);
        _expectBounds("seatWindow", 10 hours); // must stay below verifyWindow
        tm.setSeatWindow(10 hours);
        _expectBounds("verifyWindow", 5 hours);
        tm.setVerifyWindow(5 hours);
        _expectBounds("disputeWindow", 20 hours);
        tm.setDisputeWindow(20 hours);
        // unbondingPeriod 7 days: commitWindow + revealWindow + 1 day ≤ 7 days
        tm.setCommitWindow(6 days - 4 hours);
        _expectBounds("commitWindow", 6 days - 4 hours + 1);
        tm.setCommitWindow(6 days - 4 hours + 1);
        _expectBounds("revealWindow", 4 hours + 1);
        tm.setRevealWindow(4 hours + 1);
        _expectBounds("seatStep", 59);
        tm.setSeatStep(59);
        _expectBounds("seatFactor", 65);
        tm.setSeatFactor(65);
        _expectBounds("expectedVerifiers", 0);
        tm.setExpectedVerifiers(0);
        _expectBounds("bondMultiplier", 1_001);
        tm.setBondMultiplier(1_001);
        _expectBounds("slashBps", 10_001);
        tm.setSlashBps(10_001);
        _expectBounds("noRevealSlashBps", 10_001);
        tm.setNoRevealSlashBps(10_001);
        _expectBounds("liquidatorBountyBps", 2_001);
        tm.setLiquidatorBountyBps(2_001);
        _expectBounds("verifierFeeBps", 5_001);
        tm.setVerifierFeeBps(5_001);
        _expectBounds("maxRedundancy", 11);
        tm.setMaxRedundancy(11);
        _expectBounds("maxCallbackGas", 10_000_001);
        tm.setMaxCallbackGas(10_000_001);
        _expectBounds("minReward", 0);
        tm.setMinReward(0);
        tm.setMinCommitBond(1 ether);
        assertEq(tm.minCommitBond(), 1 ether);
        vm.stopPrank();
    }

    function test_setParameter_doesNotApplyToOpenTask() public {
        uint256 id = _createTask(REWARD, 3);
        vm.startPrank(owner);
        tm.setSeatWindow(1 hours);
        tm.setSlashBps(0);
        vm.stopPrank();
        Task memory t = _task(id);
        assertEq(t.seatDeadline, t.createdAt + 5 hours);
        assertEq(t.slashBps, 10_000);
    }

    function _expectBounds(string memory name, uint256 value) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerParameterOutOfBounds.selector, name, value));
    }

    // ================================================================== createTask

    function test_createTask_escrowsAndStores() public {
        uint256 before = token.balanceOf(requester);
        TaskRequest memory req = _request(REWARD, 3);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskCreated(
            1,
            requester,
            modelId,
            INPUT,
            "",
            keccak256(INPUT),
            REWARD,
            3,
            req.resultKey,
            uint64(block.timestamp + 5 hours),
            uint64(block.timestamp + 24 hours)
        );
        vm.prank(requester);
        uint256 id = tm.createTask(req);
        assertEq(id, 1);
        assertEq(tm.taskCount(), 1);
        assertEq(token.balanceOf(requester), before - REWARD);
        assertEq(token.balanceOf(address(tm)), REWARD);
        Task memory t = _task(id);
        assertEq(t.requester, requester);
        assertEq(t.modelId, modelId);
        assertEq(t.inputHash, keccak256(INPUT));
        assertEq(t.reward, REWARD);
        assertEq(t.redundancy, 3);
        assertEq(t.createdAt, block.timestamp);
        assertEq(t.revealDeadline, block.timestamp + 24 hours);
        assertEq(t.computeCount, 5);
        assertEq(t.validatorCount, 3);
        assertEq(t.workerShare, W);
        assertEq(t.bond, BOND);
        assertEq(t.royaltyBps, ROYALTY_BPS);
        assertEq(t.modelOwner, modelOwner);
        assertEq(uint8(t.status), uint8(TaskStatus.Seating));
        assertEq(t.seatSeed, bytes32(0));
    }

    function test_createTask_byUri() public {
        TaskRequest memory req = _request(REWARD, 1);
        req.input = "";
        req.inputURI = "ipfs://input";
        req.inputHash = keccak256("remote");
        uint256 id = _createTaskWith(req);
        assertEq(_task(id).inputHash, keccak256("remote"));
    }

    function test_createTask_revertsNamingTheField() public {
        TaskRequest memory req = _request(0.5 ether, 3);
        _createExpect(req, "reward");
        req = _request(REWARD, 0);
        _createExpect(req, "redundancy");
        req = _request(REWARD, 11);
        _createExpect(req, "redundancy");
        req = _request(REWARD, 3);
        req.callbackGasLimit = 2_000_001;
        _createExpect(req, "callbackGasLimit");
        req = _request(REWARD, 3);
        req.callback = address(0xBEEF);
        _createExpect(req, "callbackGasLimit");
        req = _request(REWARD, 3);
        req.inputHash = keccak256("other");
        _createExpect(req, "inputHash");
        req = _request(REWARD, 3);
        req.input = "";
        _createExpect(req, "inputURI");
        req.inputURI = "ipfs://x";
        _createExpect(req, "inputHash");
        req = _request(REWARD, 3);
        req.modelId = keccak256("no such model");
        _createExpect(req, "modelId");
        // the worker share must be > 0: 1 wei per seat after royalty and fee
        vm.prank(owner);
        tm.setMinReward(1);
        req = _request(2, 3);
        _createExpect(req, "reward");
    }

    function _createExpect(TaskRequest memory req, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerInvalidRequest.selector, field));
        vm.prank(requester);
        tm.createTask(req);
    }

    function test_createTaskWithPermit_usesPermit() public {
        (address user, uint256 key) = makeAddrAndKey("permit-user");
        vm.prank(treasury);
        token.transfer(user, REWARD);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permitSig(user, key, REWARD, deadline);
        vm.prank(user);
        uint256 id = tm.createTaskWithPermit(_request(REWARD, 3), deadline, v, r, s);
        assertEq(_task(id).requester, user);
        assertEq(token.balanceOf(address(tm)), REWARD);
    }

    function _permitSig(address user, uint256 key, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                user,
                address(tm),
                value,
                token.nonces(user),
                deadline
            )
        );
        return vm.sign(key, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
    }

    // ================================================================== seeds and ranks

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

    function test_seed_livenessFallbackAfter256Blocks() public {
        vm.prank(requester);
        uint256 id = tm.createTask(_request(REWARD, 3));
        _roll(300);
        vm.setBlockhash(block.number - 1, keccak256("recent"));
        bytes32 expected = keccak256(abi.encode(keccak256("recent"), id, uint8(1)));
        _commit(id, computes[0], GOOD);
        assertEq(_task(id).seatSeed, expected);
    }

    function test_rankOf_maxForNonComputeAndTooNew() public {
        uint256 id = _createTask(REWARD, 3);
        assertEq(tm.rankOf(id, validators[0]), type(uint256).max);
        address late = _newNode("late", COMPUTE, STAKE);
        assertEq(tm.rankOf(id, late), type(uint256).max);
        assertEq(tm.rankOf(id + 1, computes[0]), type(uint256).max);
    }

    // ================================================================== seats

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

    // ================================================================== drawVerifiers and sampled verifiers

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

    // ================================================================== dispute and jury

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

    // ================================================================== reveal

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

    // ================================================================== finalize, money, claim

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

    function test_claim_beforeFinalizeReverts() public {
        (uint256 id, address[] memory seats) = _seated(1, _hashes(GOOD));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotSettled.selector, id));
        vm.prank(seats[0]);
        tm.claim(id);
    }

    // ================================================================== liquidate, release

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

    // ================================================================== disputed outcomes

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

    function test_liquidate_absentJurorAndExcusedJuror() public {
        (uint256 id, address[] memory seats) = _disputedTask(GOOD);
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
        // a juror whose unlocked stake is below minCommitBond is excused
        vm.prank(owner);
        tm.setMinCommitBond(1 ether); // not copied into the open task: its minCommitBond stays 100 OMNIT
        vm.prank(js[1]);
        staking.requestUnstake(STAKE - 50 ether);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerJurorExcused.selector, id, js[1]));
        tm.liquidate(id, js[1]);
        // a validator that is no juror cannot be liquidated
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotLiquidatable.selector, id, computes[4]));
        tm.liquidate(id, computes[4]);
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

    // ================================================================== cancel

    function test_cancel_rules() public {
        uint256 id = _createTask(REWARD, 3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotRequester.selector, id, stranger));
        vm.prank(stranger);
        tm.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooEarly.selector, id, _task(id).seatDeadline));
        vm.prank(requester);
        tm.cancel(id);
        _toSeatEnd(id);
        uint256 before = token.balanceOf(requester);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskCancelled(id);
        vm.prank(requester);
        tm.cancel(id);
        assertEq(token.balanceOf(requester), before + REWARD, "escrow back at once");
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Cancelled));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        tm.drawVerifiers(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        vm.prank(requester);
        tm.dispute(id);
        _toRevealEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        tm.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        vm.prank(requester);
        tm.cancel(id);
    }

    function test_cancel_revertsAfterACommit() public {
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeatsCommitted.selector, id));
        vm.prank(requester);
        tm.cancel(id);
    }

    // ================================================================== statusOf

    function test_statusOf_followsTheClock() public {
        assertEq(uint8(tm.statusOf(1)), uint8(TaskStatus.None));
        uint256 id = _createTask(REWARD, 3);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Seating));
        _toSeatEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Verifying));
        _toCommitEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Revealing));
        _toRevealEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.AwaitingFinalize));
        assertEq(uint8(_task(id).status), uint8(TaskStatus.AwaitingFinalize));
    }

    // ================================================================== signed commits

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

    function test_createTaskWithPermit_badPermitNeedsAllowance() public {
        address user = makeAddr("no-allowance");
        vm.prank(treasury);
        token.transfer(user, REWARD);
        vm.expectRevert(); // the permit fails silently; transferFrom then lacks the allowance
        vm.prank(user);
        tm.createTaskWithPermit(_request(REWARD, 3), block.timestamp, 27, bytes32(0), bytes32(0));
        vm.prank(user);
        token.approve(address(tm), REWARD);
        vm.prank(user);
        uint256 id = tm.createTaskWithPermit(_request(REWARD, 3), block.timestamp, 27, bytes32(0), bytes32(0));
        assertEq(_task(id).requester, user);
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

    // ================================================================== deliver

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

    // ================================================================== pool

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

    // ================================================================== size (EIP-170)

    function test_codeSize_everyContractFitsEip170() public view {
        assertLe(address(tm).code.length, 24_576, "TaskManager");
        assertLe(address(staking).code.length, 24_576, "NodeStaking");
        assertLe(address(registry).code.length, 24_576, "ModelRegistry");
        assertLe(address(token).code.length, 24_576, "OmniToken");
        assertLe(vm.getDeployedCode("TaskLifecycle.sol:TaskLifecycle").length, 24_576, "TaskLifecycle");
        assertLe(vm.getDeployedCode("TaskCommits.sol:TaskCommits").length, 24_576, "TaskCommits");
        assertLe(vm.getDeployedCode("TaskSettlement.sol:TaskSettlement").length, 24_576, "TaskSettlement");
        assertGt(vm.getDeployedCode("TaskCommits.sol:TaskCommits").length, 0);
    }
}
