// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskData, TaskRequest, TaskState, TaskStatus, Params, KIND_SEATS, KIND_JURY} from "../types/TaskTypes.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Payouts} from "../libraries/Payouts.sol";
import {TaskSeeds} from "../libraries/TaskSeeds.sol";

/// @title TaskLifecycle
/// @notice External library (linked into TaskManager): opening, cancelling and disputing a task and drawing its
///         verifiers (PROTOCOL.md §4.1, §4.3, §4.6, §4.12). Token transfers stay in TaskManager; these functions
///         check and record, and return the amounts that TaskManager then moves.
library TaskLifecycle {
    /// @dev Largest accepted reward: 2^96 − 1 wei (79 billion OMNIT, far above the 1e9 OMNIT supply), so that every
    ///      amount derived from it (bond ≤ 1,000 × reward, dispute bond = reward) fits the task's uint128 fields.
    uint256 internal constant MAX_REWARD = type(uint96).max;

    /// @notice Validate `req`, store the task with its copied parameters and snapshots, emit TaskCreated.
    /// @dev Reverts TaskManagerInvalidRequest(field) naming the first bad field.
    /// @return taskId the new task's id (ids start at 1)
    function create(TaskState storage s, IModelRegistry registry, INodeStaking staking, TaskRequest calldata req)
        external
        returns (uint256 taskId)
    {
        Params memory p = s.params;
        if (req.reward < p.minReward || req.reward > MAX_REWARD) revert ITaskManager.TaskManagerInvalidRequest("reward");
        if (req.redundancy == 0 || req.redundancy > p.maxRedundancy) {
            revert ITaskManager.TaskManagerInvalidRequest("redundancy");
        }
        if (req.callbackGasLimit > p.maxCallbackGas || (req.callback != address(0) && req.callbackGasLimit == 0)) {
            revert ITaskManager.TaskManagerInvalidRequest("callbackGasLimit");
        }
        bytes32 inputHash = _inputHash(req);
        (address modelOwner, uint16 royaltyBps) = registry.ownerAndRoyalty(req.modelId);
        if (modelOwner == address(0)) revert ITaskManager.TaskManagerInvalidRequest("modelId");
        (,, uint256 w,) = Payouts.split(req.reward, royaltyBps, p.verifierFeeBps, req.redundancy);
        if (w == 0) revert ITaskManager.TaskManagerInvalidRequest("reward");

        taskId = ++s.taskCount;
        TaskData storage t = s.tasks[taskId];
        t.requester = msg.sender;
        t.disputer = req.disputer;
        t.modelId = req.modelId;
        t.inputHash = inputHash;
        t.resultKey = req.resultKey;
        t.callback = req.callback;
        t.callbackGasLimit = req.callbackGasLimit;
        t.redundancy = req.redundancy;
        t.status = TaskStatus.Seating;
        // reward ≤ 2^96 − 1 (checked above); w ≤ reward; bond ≤ max(2^128 − 1, 1,000 · w) < 2^128: the casts are exact.
        t.reward = uint128(req.reward);
        t.modelOwner = modelOwner;
        t.royaltyBps = royaltyBps;
        t.workerShare = uint128(w);
        t.bond = uint128(Payouts.bond(p.minCommitBond, p.bondMultiplier, w));
        _copyParams(t, p);
        t.computeCount = uint64(staking.activeComputeCount());
        t.validatorCount = uint64(staking.activeValidatorCount());
        t.seatSeedBlock = uint64(block.number);
        _emitCreated(taskId, t, req);
    }

    /// @notice Cancel an open task: the requester, at or after the seat window, nothing committed, not disputed.
    /// @dev Reverts TaskManagerNotRequester, TaskManagerTooEarly(taskId, seatDeadline), TaskManagerSeatsCommitted.
    ///      Emits TaskCancelled. Returns the escrow that TaskManager sends back at once.
    function cancel(TaskState storage s, uint256 taskId) external returns (address requester, uint256 refund) {
        TaskData storage t = openTask(s, taskId);
        requester = t.requester;
        if (msg.sender != requester) revert ITaskManager.TaskManagerNotRequester(taskId, msg.sender);
        if (block.timestamp < t.seatDeadline) revert ITaskManager.TaskManagerTooEarly(taskId, t.seatDeadline);
        if (t.seatHolders.length != 0) revert ITaskManager.TaskManagerSeatsCommitted(taskId);
        // No seat means no dispute (dispute needs a seat), so the escrow is the reward alone.
        t.status = TaskStatus.Cancelled;
        refund = t.reward;
        emit ITaskManager.TaskCancelled(taskId);
    }

    /// @notice Draw the sampled verifiers: anyone, once, in [seatDeadline, verifyDeadline), after a seat commit.
    /// @dev Emits VerifiersDrawn. Reverts TaskManagerTooEarly/TooLate, TaskManagerAlreadyDrawn, TaskManagerNoSeatCommitted.
    function drawVerifiers(TaskState storage s, uint256 taskId) external {
        TaskData storage t = openTask(s, taskId);
        if (block.timestamp < t.seatDeadline) revert ITaskManager.TaskManagerTooEarly(taskId, t.seatDeadline);
        if (block.timestamp >= t.verifyDeadline) revert ITaskManager.TaskManagerTooLate(taskId, t.verifyDeadline);
        if (t.verifierSeedBlock != 0) revert ITaskManager.TaskManagerAlreadyDrawn(taskId);
        if (t.seatHolders.length == 0) revert ITaskManager.TaskManagerNoSeatCommitted(taskId);
        t.verifierSeedBlock = uint64(block.number);
        emit ITaskManager.VerifiersDrawn(taskId);
    }

    /// @notice Dispute: the requester or its disputer, once, in [seatDeadline, disputeDeadline), after a seat
    ///         commit. Draws verifiers if nobody has, and the jury. Returns the bond (= reward) TaskManager escrows.
    /// @dev Emits (VerifiersDrawn,) TaskDisputed. Reverts TaskManagerNotDisputer, TaskManagerTooEarly/TooLate,
    ///      TaskManagerAlreadyDisputed, TaskManagerNoSeatCommitted.
    function dispute(TaskState storage s, uint256 taskId) external returns (uint256 bond) {
        TaskData storage t = openTask(s, taskId);
        if (msg.sender != t.requester && (t.disputer == address(0) || msg.sender != t.disputer)) {
            revert ITaskManager.TaskManagerNotDisputer(taskId, msg.sender);
        }
        if (block.timestamp < t.seatDeadline) revert ITaskManager.TaskManagerTooEarly(taskId, t.seatDeadline);
        if (block.timestamp >= t.disputeDeadline) revert ITaskManager.TaskManagerTooLate(taskId, t.disputeDeadline);
        if (t.disputed) revert ITaskManager.TaskManagerAlreadyDisputed(taskId);
        if (t.seatHolders.length == 0) revert ITaskManager.TaskManagerNoSeatCommitted(taskId);
        if (t.verifierSeedBlock == 0) {
            t.verifierSeedBlock = uint64(block.number);
            emit ITaskManager.VerifiersDrawn(taskId);
        }
        bond = t.reward;
        t.disputed = true;
        t.disputedAt = uint64(block.timestamp);
        t.disputeBond = uint96(bond); // = reward ≤ 2^96 − 1 (checked at creation): exact
        t.disputeBondPayer = msg.sender;
        t.jurySeedBlock = uint64(block.number);
        emit ITaskManager.TaskDisputed(taskId, msg.sender, bond);
    }

    /// @notice fixSeed (anyone; bots call it two blocks after the call that asked for the seed): store a known seed,
    ///         re-anchor a lost one (SeedRequested), else nothing (PROTOCOL.md §4.1; TaskSeeds.poke).
    /// @dev Reverts TaskManagerUnknownSeedKind(kind) outside 1..3 and TaskManagerUnknownTask(taskId).
    function fixSeed(TaskState storage s, uint256 taskId, uint8 kind) external {
        if (kind < KIND_SEATS || kind > KIND_JURY) revert ITaskManager.TaskManagerUnknownSeedKind(kind);
        TaskData storage t = s.tasks[taskId];
        if (t.status == TaskStatus.None) revert ITaskManager.TaskManagerUnknownTask(taskId);
        TaskSeeds.poke(t, taskId, kind);
    }

    /// @notice The open task `taskId`: the guard of every step before finalize (cancel, drawVerifiers, dispute here;
    ///         commit and reveal in TaskCommits; finalize in TaskSettlement). Internal: inlined into each caller.
    /// @dev Reverts TaskManagerUnknownTask(taskId) or TaskManagerNotOpen(taskId, status).
    function openTask(TaskState storage s, uint256 taskId) internal view returns (TaskData storage t) {
        t = s.tasks[taskId];
        TaskStatus st = t.status;
        if (st == TaskStatus.None) revert ITaskManager.TaskManagerUnknownTask(taskId);
        if (st != TaskStatus.Seating) revert ITaskManager.TaskManagerNotOpen(taskId, st);
    }

    function _inputHash(TaskRequest calldata req) private pure returns (bytes32 h) {
        if (req.input.length != 0) {
            h = keccak256(req.input);
            if (req.inputHash != bytes32(0) && req.inputHash != h) {
                revert ITaskManager.TaskManagerInvalidRequest("inputHash");
            }
        } else {
            if (bytes(req.inputURI).length == 0) revert ITaskManager.TaskManagerInvalidRequest("inputURI");
            if (req.inputHash == bytes32(0)) revert ITaskManager.TaskManagerInvalidRequest("inputHash");
            h = req.inputHash;
        }
    }

    function _copyParams(TaskData storage t, Params memory p) private {
        uint64 createdAt = uint64(block.timestamp);
        t.createdAt = createdAt;
        t.seatDeadline = createdAt + p.seatWindow;
        t.verifyDeadline = createdAt + p.verifyWindow;
        t.disputeDeadline = createdAt + p.disputeWindow;
        t.commitDeadline = createdAt + p.commitWindow;
        t.revealDeadline = createdAt + p.commitWindow + p.revealWindow;
        t.seatStep = p.seatStep;
        t.seatFactor = p.seatFactor;
        t.expectedVerifiers = p.expectedVerifiers;
        t.jurySize = p.jurySize;
        t.verifierFeeBps = p.verifierFeeBps;
        t.slashBps = p.slashBps;
        t.noRevealSlashBps = p.noRevealSlashBps;
        t.liquidatorBountyBps = p.liquidatorBountyBps;
        t.minCommitBond = p.minCommitBond;
        t.liquidationWindow = p.liquidationWindow;
    }

    function _emitCreated(uint256 taskId, TaskData storage t, TaskRequest calldata req) private {
        emit ITaskManager.TaskCreated(
            taskId,
            msg.sender,
            req.modelId,
            req.input,
            req.inputURI,
            t.inputHash,
            req.reward,
            req.redundancy,
            req.resultKey,
            t.seatDeadline,
            t.revealDeadline
        );
    }
}
