// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerBase} from "../base/TaskManagerBase.t.sol";
import {TaskRequest, SignedCommit} from "../../../contracts/types/TaskTypes.sol";

/// @notice Gas snapshots of the TaskManager's lifecycle calls, checked in as snapshots/TaskManager.json and compared by
///         `npm test` (`hardhat test solidity --snapshot-check`; refresh with `--snapshot`).
/// @dev Each contract below brings a task to one stage in `setUp`; each test then makes the one call it measures as
///      its first call that touches the contracts' storage (reads included: what a test needs is read in setUp), so
///      that the call starts like a fresh transaction (cold slots, every slot's original value as set up). `snapshotGasLastCall` records the gas used inside the call: no 21,000 base,
///      no calldata cost, so the figures are below the receipts in docs/gas.md (scripts/bench-gas.ts, which also
///      breaks them down). Setup as bench-gas: both roles on every node, expectedVerifiers raised to 64 so that every
///      validator without a seat has a verifier place, a 256-byte inline input, and a warm-up task first.
abstract contract TaskManagerGasBase is TaskManagerBase {
    string internal constant GROUP = "TaskManager";
    uint8 internal constant K = 3;

    uint256 internal taskId;
    uint256 internal seatEnd; // the task's seatDeadline, read in setUp (a read in the test would warm its slots)
    address[] internal seats; // the K best-ranked compute nodes, in rank order
    address[] internal others; // every other node: verifier places once drawn

    function setUp() public virtual override {
        super.setUp();
        vm.prank(owner);
        tm.setExpectedVerifiers(64);
        for (uint256 i = 0; i < 6; ++i) {
            computes.push(_newNode(string.concat("node-", vm.toString(i)), BOTH, STAKE));
            validators.push(computes[i]);
        }
        skip(1);
        _createTask(REWARD, K); // warm-up: task counter and requester records already non-zero
        taskId = _createTaskWith(_bigRequest());
        seatEnd = _task(taskId).seatDeadline;
        address[] memory sorted = _byRank(taskId);
        for (uint256 i = 0; i < sorted.length; ++i) {
            if (i < K) seats.push(sorted[i]);
            else others.push(sorted[i]);
        }
    }

    function _bigRequest() internal view returns (TaskRequest memory req) {
        req = _request(REWARD, K);
        req.input = new bytes(256);
        for (uint256 i = 0; i < 256; ++i) {
            req.input[i] = bytes1(uint8(i));
        }
    }

    function _snap(string memory name) internal {
        vm.snapshotGasLastCall(GROUP, name);
    }

    function _commitSeats() internal {
        for (uint256 i = 0; i < K; ++i) {
            _commit(taskId, seats[i], GOOD);
        }
    }

    /// @dev After the seat window: draw the verifiers and roll until their seed is known.
    function _drawn() internal {
        _toSeatEnd(taskId);
        tm.drawVerifiers(taskId);
        _roll(2);
    }

    function _commitVerifiers(uint256 count) internal {
        for (uint256 i = 0; i < count; ++i) {
            _commit(taskId, others[i], GOOD);
        }
    }

    /// @dev Seats, then (disputed or drawn) three verifiers commit, all six reveal GOOD; the clock at revealDeadline.
    function _revealAll(bool disputed) internal {
        _commitSeats();
        _toSeatEnd(taskId);
        if (disputed) {
            vm.prank(requester);
            tm.dispute(taskId);
        } else {
            tm.drawVerifiers(taskId);
        }
        _roll(2);
        _commitVerifiers(3);
        _toCommitEnd(taskId);
        for (uint256 i = 0; i < K; ++i) {
            _reveal(taskId, seats[i], GOOD);
            _reveal(taskId, others[i], GOOD);
        }
        _toRevealEnd(taskId);
    }

    function _batch(address[] storage nodes, uint256 count) internal view returns (SignedCommit[] memory cs) {
        cs = new SignedCommit[](count);
        for (uint256 i = 0; i < count; ++i) {
            address node = nodes[i];
            cs[i] = _sign(taskId, node, _commitment(taskId, node, GOOD), _sealed(taskId, node), block.timestamp);
        }
    }
}

/// @notice createTask and the parameter setters (TaskParams).
contract TaskManagerCreateGasTest is TaskManagerGasBase {
    function test_gas_createTask() public {
        TaskRequest memory req = _bigRequest();
        vm.prank(requester);
        tm.createTask(req);
        _snap("createTask (256-byte input, redundancy 3)");
    }

    function test_gas_setSeatStep() public {
        vm.prank(owner);
        tm.setSeatStep(1 hours);
        _snap("setSeatStep");
    }

    function test_gas_setCommitWindow() public {
        vm.prank(owner);
        tm.setCommitWindow(21 hours);
        _snap("setCommitWindow (bounded by commitWindow + revealWindow <= 3 days)");
    }
}

/// @notice The first commits of an open task, and cancel.
contract TaskManagerSeatGasTest is TaskManagerGasBase {
    function test_gas_commitFirstSeat() public {
        _commit(taskId, seats[0], GOOD);
        _snap("commit seat, 1st (stores the seat seed)");
    }

    function test_gas_commitWithSigFirstSeat() public {
        SignedCommit[] memory cs = _batch(seats, 1);
        vm.prank(stranger);
        tm.commitWithSig(cs[0]);
        _snap("commitWithSig seat, 1st, relayed");
    }

    function test_gas_commitBatchSeats() public {
        SignedCommit[] memory cs = _batch(seats, K);
        vm.prank(stranger);
        tm.commitBatch(cs);
        _snap("commitBatch of 3 seats");
    }

    function test_gas_cancel() public {
        vm.warp(seatEnd);
        vm.prank(requester);
        tm.cancel(taskId);
        _snap("cancel");
    }
}

/// @notice Later seats, the draw and the dispute.
contract TaskManagerSeatedGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _commit(taskId, seats[0], GOOD);
        _commit(taskId, seats[1], GOOD);
    }

    function test_gas_commitThirdSeat() public {
        _commit(taskId, seats[2], GOOD);
        _snap("commit seat, 3rd");
    }

    function test_gas_drawVerifiers() public {
        vm.warp(seatEnd);
        tm.drawVerifiers(taskId);
        _snap("drawVerifiers");
    }

    function test_gas_dispute() public {
        vm.warp(seatEnd);
        vm.prank(requester);
        tm.dispute(taskId);
        _snap("dispute (draws verifiers and jury)");
    }
}

/// @notice Sampled verifier places.
contract TaskManagerVerifierGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _commitSeats();
        _drawn();
    }

    function test_gas_commitFirstVerifier() public {
        _commit(taskId, others[0], GOOD);
        _snap("commit verifier, 1st (stores the verifier seed)");
    }

    function test_gas_commitBatchVerifiers() public {
        SignedCommit[] memory cs = _batch(others, 3);
        vm.prank(stranger);
        tm.commitBatch(cs);
        _snap("commitBatch of 3 verifier places");
    }
}

/// @notice Reveals.
contract TaskManagerRevealGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _commitSeats();
        _drawn();
        _commitVerifiers(3);
        _toCommitEnd(taskId);
        _reveal(taskId, seats[0], GOOD);
        vm.roll(block.number + 1);
    }

    function test_gas_revealSecondSeat() public {
        _reveal(taskId, seats[1], GOOD);
        _snap("reveal seat, 2nd");
    }

    function test_gas_revealVerifier() public {
        _reveal(taskId, others[0], GOOD);
        _snap("reveal verifier");
    }
}

/// @notice The first reveal of a task writes its tally.
contract TaskManagerFirstRevealGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _commitSeats();
        _toCommitEnd(taskId);
    }

    function test_gas_revealFirstSeat() public {
        _reveal(taskId, seats[0], GOOD);
        _snap("reveal seat, 1st (first reveal of the task)");
    }
}

/// @notice finalize of an undisputed task.
contract TaskManagerFinalizeGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _revealAll(false);
    }

    function test_gas_finalize() public {
        tm.finalize(taskId);
        _snap("finalize at 6 reveals (3 seats + 3 verifiers)");
    }
}

/// @notice finalize of a disputed task.
contract TaskManagerFinalizeDisputedGasTest is TaskManagerGasBase {
    function setUp() public override {
        super.setUp();
        _revealAll(true);
    }

    function test_gas_finalizeDisputed() public {
        tm.finalize(taskId);
        _snap("finalize at 6 reveals, disputed");
    }
}

/// @notice After finalize: claim, liquidate, release, deliver, withdraw. Seat 3 stays silent.
contract TaskManagerSettledGasTest is TaskManagerGasBase {
    bytes internal constant OUTPUT = bytes("canonical output: good"); // keccak256(OUTPUT) == GOOD

    function setUp() public override {
        super.setUp();
        _commitSeats();
        _drawn();
        _commitVerifiers(3);
        _toCommitEnd(taskId);
        _reveal(taskId, seats[0], GOOD);
        _reveal(taskId, seats[1], GOOD);
        _reveal(taskId, others[0], GOOD);
        _toRevealEnd(taskId);
        tm.finalize(taskId);
        vm.roll(block.number + 1);
    }

    function test_gas_claimSeat() public {
        vm.prank(seats[0]);
        tm.claim(taskId);
        _snap("claim seat");
    }

    function test_gas_claimVerifier() public {
        vm.prank(others[0]);
        tm.claim(taskId);
        _snap("claim verifier");
    }

    function test_gas_liquidateSilentSeat() public {
        vm.prank(seats[0]);
        tm.liquidate(taskId, seats[2]);
        _snap("liquidate silent seat (bounty to a winner)");
    }

    function test_gas_releaseRevealedBond() public {
        vm.prank(stranger);
        tm.release(taskId, seats[1]);
        _snap("release");
    }

    function test_gas_deliverNoCallback() public {
        vm.prank(stranger);
        tm.deliver(taskId, OUTPUT);
        _snap("deliver (no callback)");
    }

    function test_gas_withdraw() public {
        vm.prank(modelOwner);
        tm.withdraw();
        _snap("withdraw (royalty credit)");
    }
}
