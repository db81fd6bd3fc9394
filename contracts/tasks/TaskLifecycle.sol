// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    Task, TaskData, TaskRequest, TaskState, TaskStatus, Params, CommitData, KIND_SEATS, KIND_JURY
} from "../types/TaskTypes.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Payouts} from "../libraries/Payouts.sol";
import {TaskSeeds} from "../libraries/TaskSeeds.sol";
import {TaskStore} from "./TaskStore.sol";

/// @title TaskLifecycle
/// @notice External library (linked into TaskManager): opening, cancelling and disputing a task and drawing its
///         verifiers (PROTOCOL.md §4.1, §4.3, §4.6, §4.12). Token transfers stay in TaskManager; these functions
///         check and record, and return the amounts that TaskManager then moves.
library TaskLifecycle {
    /// @dev Largest accepted reward: 2^96 − 1 wei (79 billion OMNIT, far above the 1e9 OMNIT supply), so that every
    ///      amount derived from it (bond ≤ 1,000 × reward, dispute bond = reward) fits the task's uint128 fields.
    uint256 internal constant MAX_REWARD = type(uint96).max;

    /// @notice Validate `req`, store the task (its parameter set's id, the snapshots), emit TaskCreated.
    /// @dev Reverts TaskManagerInvalidRequest(field) naming the first bad field. Writes three fresh slots (four with a
    ///      callback, five with a disputer): see TaskData.
    /// @return taskId the new task's id (ids start at 1)
    function create(TaskState storage s, IModelRegistry registry, INodeStaking staking, TaskRequest calldata req)
        external
        returns (uint256 taskId)
    {
        uint16 paramsId = s.paramsId;
        Params storage p = s.paramSets[paramsId];
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
        (uint256 c, uint256 v) = staking.activeCounts();
        // Each active node holds minStake > 0 of a token whose supply is 1e27: far fewer than 2^32 nodes.
        if (c > type(uint32).max || v > type(uint32).max) revert ITaskManager.TaskManagerInvalidRequest("nodes");

        taskId = ++s.taskCount;
        TaskData storage t = _store(s, taskId, req, paramsId, modelOwner, royaltyBps);
        // Slot 2: the snapshots C and V (checked above) and the seat seed's block.
        (t.computeCount, t.validatorCount, t.seatSeedBlock) = (uint32(c), uint32(v), uint40(block.number));
        _emitCreated(s, t, taskId, req, inputHash);
    }

    /// @notice Cancel an open task: the requester, at or after the seat window, nothing committed, not disputed.
    /// @dev Reverts TaskManagerNotRequester, TaskManagerTooEarly(taskId, seatDeadline), TaskManagerSeatsCommitted.
    ///      Emits TaskCancelled. Returns the escrow that TaskManager sends back at once.
    function cancel(TaskState storage s, uint256 taskId) external returns (address requester, uint256 refund) {
        TaskData storage t = openTask(s, taskId);
        requester = t.requester;
        if (msg.sender != requester) revert ITaskManager.TaskManagerNotRequester(taskId, msg.sender);
        uint256 seatEnd = TaskStore.seatDeadline(s, t);
        if (block.timestamp < seatEnd) revert ITaskManager.TaskManagerTooEarly(taskId, seatEnd);
        if (t.seatCount != 0) revert ITaskManager.TaskManagerSeatsCommitted(taskId);
        // No seat means no dispute (dispute needs a seat), so the escrow is the reward alone.
        t.status = TaskStatus.Cancelled;
        refund = t.reward;
        emit ITaskManager.TaskCancelled(taskId);
    }

    /// @notice Draw the sampled verifiers: anyone, once, in [seatDeadline, verifyDeadline), after a seat commit.
    /// @dev Emits VerifiersDrawn. Reverts TaskManagerTooEarly/TooLate, TaskManagerAlreadyDrawn, TaskManagerNoSeatCommitted.
    function drawVerifiers(TaskState storage s, uint256 taskId) external {
        TaskData storage t = openTask(s, taskId);
        uint256 seatEnd = TaskStore.seatDeadline(s, t);
        if (block.timestamp < seatEnd) revert ITaskManager.TaskManagerTooEarly(taskId, seatEnd);
        uint256 verifyEnd = TaskStore.verifyDeadline(s, t);
        if (block.timestamp >= verifyEnd) revert ITaskManager.TaskManagerTooLate(taskId, verifyEnd);
        if (t.verifierSeedBlock != 0) revert ITaskManager.TaskManagerAlreadyDrawn(taskId);
        if (t.seatCount == 0) revert ITaskManager.TaskManagerNoSeatCommitted(taskId);
        t.verifierSeedBlock = uint40(block.number);
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
        uint256 seatEnd = TaskStore.seatDeadline(s, t);
        if (block.timestamp < seatEnd) revert ITaskManager.TaskManagerTooEarly(taskId, seatEnd);
        uint256 disputeEnd = TaskStore.disputeDeadline(s, t);
        if (block.timestamp >= disputeEnd) revert ITaskManager.TaskManagerTooLate(taskId, disputeEnd);
        if (t.disputed) revert ITaskManager.TaskManagerAlreadyDisputed(taskId);
        if (t.seatCount == 0) revert ITaskManager.TaskManagerNoSeatCommitted(taskId);
        if (t.verifierSeedBlock == 0) {
            t.verifierSeedBlock = uint40(block.number);
            emit ITaskManager.VerifiersDrawn(taskId);
        }
        bond = t.reward; // the dispute bond equals the reward: not stored again
        t.disputed = true;
        t.jurySeedBlock = uint40(block.number);
        (t.disputeBondPayer, t.disputedAt) = (msg.sender, uint40(block.timestamp));
        emit ITaskManager.TaskDisputed(taskId, msg.sender, bond);
    }

    /// @notice fixSeed (anyone; bots call it two blocks after the call that asked for the seed): store a known seed,
    ///         re-anchor a lost one (SeedRequested), else nothing (PROTOCOL.md §4.1; TaskSeeds.poke).
    /// @dev Reverts TaskManagerUnknownSeedKind(kind) outside 1..3 and TaskManagerUnknownTask(taskId).
    function fixSeed(TaskState storage s, uint256 taskId, uint8 kind) external {
        if (kind < KIND_SEATS || kind > KIND_JURY) revert ITaskManager.TaskManagerUnknownSeedKind(kind);
        TaskData storage t = s.tasks[taskId];
        if (t.status == TaskStatus.None) revert ITaskManager.TaskManagerUnknownTask(taskId);
        TaskSeeds.poke(s, t, taskId, kind);
    }

    /// @notice The stored task as the `Task` that `getTask` returns (its status as stored): the deadlines, copied
    ///         parameters, worker share and bond derived from its parameter set; modelId, inputHash and resultKey
    ///         zero (TaskCreated carries them); seatHolders read from the seat list.
    function toTask(TaskState storage s, uint256 taskId) external view returns (Task memory r) {
        TaskData storage t = s.tasks[taskId];
        if (t.status == TaskStatus.None) return r;
        _who(r, t);
        _times(s, t, r);
        _terms(s, t, r);
        _state(s, t, taskId, r);
    }

    function _who(Task memory r, TaskData storage t) private view {
        (r.requester, r.createdAt, r.redundancy, r.status, r.delivered) =
            (t.requester, t.createdAt, t.redundancy, t.status, t.delivered);
        (r.disputer, r.callback, r.callbackGasLimit) = (t.disputer, t.callback, t.callbackGasLimit);
        (r.modelOwner, r.computeCount, r.validatorCount) = (t.modelOwner, t.computeCount, t.validatorCount);
        (r.disputeBondPayer, r.disputed, r.juryLiable, r.disputedAt) =
            (t.disputeBondPayer, t.disputed, t.juryLiable, t.disputedAt);
        (r.seatSeedBlock, r.verifierSeedBlock, r.jurySeedBlock) = (t.seatSeedBlock, t.verifierSeedBlock, t.jurySeedBlock);
        (r.seatSeed, r.verifierSeed, r.jurySeed) = (t.seatSeed, t.verifierSeed, t.jurySeed);
    }

    function _times(TaskState storage s, TaskData storage t, Task memory r) private view {
        // Every deadline is within 6 days of createdAt (a uint40): the uint64 casts are exact.
        r.seatDeadline = uint64(TaskStore.seatDeadline(s, t));
        r.verifyDeadline = uint64(TaskStore.verifyDeadline(s, t));
        r.disputeDeadline = uint64(TaskStore.disputeDeadline(s, t));
        r.commitDeadline = uint64(TaskStore.commitDeadline(s, t));
        r.revealDeadline = uint64(TaskStore.revealDeadline(s, t));
        r.liquidationDeadline = uint64(TaskStore.liquidationDeadline(s, t));
        r.juryDeadline = uint64(TaskStore.juryDeadline(s, t));
    }

    function _terms(TaskState storage s, TaskData storage t, Task memory r) private view {
        Params storage p = TaskStore.params(s, t);
        (r.seatStep, r.seatFactor, r.expectedVerifiers, r.jurySize) =
            (p.seatStep, p.seatFactor, p.expectedVerifiers, p.jurySize);
        (r.verifierFeeBps, r.royaltyBps, r.slashBps, r.noRevealSlashBps, r.liquidatorBountyBps) =
            (p.verifierFeeBps, t.royaltyBps, p.slashBps, p.noRevealSlashBps, p.liquidatorBountyBps);
        (,, uint256 w,) = TaskStore.split(s, t);
        // w ≤ reward < 2^96; bond ≤ max(minCommitBond, 1,000 · w) < 2^128.
        (r.reward, r.workerShare, r.minCommitBond) = (t.reward, uint128(w), p.minCommitBond);
        r.bond = uint128(TaskStore.bond(s, t));
        if (t.disputed) r.disputeBond = t.reward;
    }

    function _state(TaskState storage s, TaskData storage t, uint256 taskId, Task memory r) private view {
        (r.committedVerifiers, r.committedJurors, r.liveCommitments) =
            (t.committedVerifiers, t.committedJurors, t.liveCommitments);
        (r.revealedSeats, r.revealedVerifiers) = (t.revealedSeats, t.revealedVerifiers);
        uint256 revealed = TaskStore.revealedCount(t);
        r.revealedCount = uint32(revealed); // ≤ 2 · (2^16 − 1)
        (r.n, r.m, r.tied, r.payMode) = (t.n, uint32(revealed - t.n), t.tied, t.payMode);
        r.leader = s.hashes[taskId][t.leaderId];
        if (t.status == TaskStatus.Finalized) r.acceptedOutputHash = r.leader;
        r.verifierPay = s.tallies[taskId][r.leader].verifierPay;
        (r.bondShare, r.perWinner, r.slashRemainder) = (t.bondShare, t.perWinner, t.slashRemainder);
        r.seatHolders = new address[](t.seatCount);
        address cur = t.seatHead;
        for (uint256 i = 0; i < r.seatHolders.length; ++i) {
            r.seatHolders[i] = cur;
            CommitData storage c = s.commits[taskId][cur];
            cur = c.nextSeat;
        }
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

    /// @dev Slots 0 and 1, and the optional callback and disputer slots.
    function _store(
        TaskState storage s,
        uint256 taskId,
        TaskRequest calldata req,
        uint16 paramsId,
        address modelOwner,
        uint16 royaltyBps
    ) private returns (TaskData storage t) {
        t = s.tasks[taskId];
        // A uint40 holds timestamps and block numbers for thousands of years: the casts are exact.
        (t.requester, t.createdAt, t.redundancy, t.status) =
            (msg.sender, uint40(block.timestamp), req.redundancy, TaskStatus.Seating);
        (t.paramsId, t.royaltyBps) = (paramsId, royaltyBps);
        // reward ≤ 2^96 − 1 (checked by create).
        (t.modelOwner, t.reward) = (modelOwner, uint96(req.reward));
        if (req.callback != address(0) || req.callbackGasLimit != 0) {
            (t.callback, t.callbackGasLimit) = (req.callback, req.callbackGasLimit);
        }
        if (req.disputer != address(0)) t.disputer = req.disputer;
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

    function _emitCreated(
        TaskState storage s,
        TaskData storage t,
        uint256 taskId,
        TaskRequest calldata req,
        bytes32 inputHash
    ) private {
        uint64[2] memory d = [uint64(TaskStore.seatDeadline(s, t)), uint64(TaskStore.revealDeadline(s, t))];
        emit ITaskManager.TaskCreated(
            taskId,
            msg.sender,
            req.modelId,
            req.input,
            req.inputURI,
            inputHash,
            req.reward,
            req.redundancy,
            req.resultKey,
            d[0],
            d[1]
        );
    }
}
