// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    TaskData,
    TaskState,
    TaskStatus,
    CommitData,
    TallyData,
    Params,
    ROLE_COMPUTE,
    ROLE_VALIDATOR,
    KIND_SEATS,
    KIND_VERIFIERS,
    KIND_JURY,
    PLACE_SEAT,
    PLACE_VERIFIER,
    PLACE_JUROR
} from "../types/TaskTypes.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Sortition} from "../libraries/Sortition.sol";
import {Consensus} from "../libraries/Consensus.sol";
import {TaskSeeds} from "../libraries/TaskSeeds.sol";
import {TaskLifecycle} from "./TaskLifecycle.sol";
import {TaskStore} from "./TaskStore.sol";

/// @title TaskCommits
/// @notice External library (linked into TaskManager): sealed commitments in seats (by rank), sampled verifier
///         places and jury places, reveals with the O(1) incremental tally, and the eligibility views
///         (PROTOCOL.md §4.2, §4.4–§4.7, §5).
library TaskCommits {
    /// @notice Commit `node`'s commitment in the place it may take now, locking its bond.
    /// @dev Before the seat deadline the place is a seat (by rank: a better rank displaces the worst holder, whose
    ///      commitment is voided and bond released, emitting SeatLost and BondReleased); after it, a sampled verifier
    ///      place, or a juror place in a disputed task. `signedPlace` is the place a signed commitment names (0 for a
    ///      plain commit by the node): any other place is refused (TaskManagerWrongPlace), so a public signature for
    ///      one place cannot be replayed into another. One NodeStaking call (`lockFor`) checks the node's clocks and
    ///      locks its bond. Emits Committed. Reverts TaskManagerZeroCommitment, TaskManagerAlreadyCommitted,
    ///      TaskManagerCommitClosed, TaskManagerNotDrawn, TaskManagerSeedNotReady, TaskManagerNotEligible,
    ///      TaskManagerSeatTaken, TaskManagerWrongPlace, TaskManagerBondUnavailable (workers and sampled verifiers
    ///      only: a juror is never refused for want of stake) and TaskLifecycle.openTask's.
    function commit(
        TaskState storage s,
        INodeStaking staking,
        uint256 taskId,
        address node,
        uint8 signedPlace,
        bytes32 commitment,
        bytes calldata sealedOutput
    ) external {
        TaskData storage t = TaskLifecycle.openTask(s, taskId);
        if (commitment == bytes32(0)) revert ITaskManager.TaskManagerZeroCommitment(taskId);
        CommitData storage c = s.commits[taskId][node];
        if (c.commitment != bytes32(0)) revert ITaskManager.TaskManagerAlreadyCommitted(taskId, node);

        uint8 place;
        address displaced;
        if (block.timestamp < TaskStore.seatDeadline(s, t)) {
            displaced = _takeSeat(s, t, c, taskId, node);
            place = PLACE_SEAT;
        } else {
            place = _verifierOrJuror(s, t, taskId, node);
        }
        if (signedPlace != 0 && signedPlace != place) {
            revert ITaskManager.TaskManagerWrongPlace(taskId, node, signedPlace);
        }
        {
            (uint256 locked, bool validator) = _lock(s, t, staking, taskId, node, place);
            _record(t, c, commitment, place, locked, validator);
        }
        if (displaced == address(0)) ++t.liveCommitments;
        else _voidSeat(s, t, staking, taskId, displaced, node);
        ++s.reputation[node].commitments; // §4.13: a live commitment (a displaced seat's is taken back in _voidSeat)
        emit ITaskManager.Committed(taskId, node, place, sealedOutput);
    }

    /// @notice Reveal `node`'s commitment and add one vote for `outputHash` (anyone, in the reveal window).
    /// @dev Emits Revealed. Reverts TaskManagerRevealClosed, TaskManagerZeroOutputHash, TaskManagerNoCommitment,
    ///      TaskManagerCommitmentVoided, TaskManagerAlreadyRevealed, TaskManagerWrongReveal. The commitment records the
    ///      hash's id in the task (its slot is updated in place); the first reveal of a hash stores the hash by id.
    function reveal(TaskState storage s, uint256 taskId, address node, bytes32 outputHash, bytes32 salt) external {
        TaskData storage t = TaskLifecycle.openTask(s, taskId);
        if (block.timestamp < TaskStore.commitDeadline(s, t) || block.timestamp >= TaskStore.revealDeadline(s, t)) {
            revert ITaskManager.TaskManagerRevealClosed(taskId);
        }
        if (outputHash == bytes32(0)) revert ITaskManager.TaskManagerZeroOutputHash(taskId, node);
        CommitData storage c = s.commits[taskId][node];
        if (c.commitment == bytes32(0)) revert ITaskManager.TaskManagerNoCommitment(taskId, node);
        if (c.voided) revert ITaskManager.TaskManagerCommitmentVoided(taskId, node);
        if (c.revealed) revert ITaskManager.TaskManagerAlreadyRevealed(taskId, node);
        if (keccak256(abi.encode(taskId, node, outputHash, salt)) != c.commitment) {
            revert ITaskManager.TaskManagerWrongReveal(taskId, node);
        }
        TallyData storage h = s.tallies[taskId][outputHash];
        uint256 id = h.id;
        if (id == 0) {
            // The reveal count + 1 is unique per reveal, so per hash. Checked (SafeCast reverts past 2^16 − 1: a
            // task would need 65,535 reveals; its places are ≈ 330), so an id never wraps onto another hash's.
            id = TaskStore.revealedCount(t) + 1;
            h.id = SafeCast.toUint16(id);
            s.hashes[taskId][id] = outputHash;
        }
        uint32 votes = h.votes + 1;
        h.votes = votes;
        c.revealed = true;
        c.hashId = uint16(id);
        ++s.reputation[node].revealed;
        if (c.place == PLACE_SEAT) {
            ++h.seatVotes;
            ++t.revealedSeats;
        } else {
            ++h.verifierVotes;
            ++t.revealedVerifiers;
        }
        (bytes32 leader, uint256 n, bool tied) =
            Consensus.tally(bytes32(uint256(t.leaderId)), t.n, t.tied, bytes32(id), votes);
        // Ids fit (checked above); n is checked like every counter of the task (uint16).
        (t.leaderId, t.n, t.tied) = (uint16(uint256(leader)), SafeCast.toUint16(n), tied);
        emit ITaskManager.Revealed(taskId, node, outputHash);
    }

    /// @notice The node's seat rank (see ITaskManager.rankOf).
    function rankOf(TaskState storage s, INodeStaking staking, uint256 taskId, address node)
        external
        view
        returns (uint256)
    {
        TaskData storage t = s.tasks[taskId];
        if (t.status == TaskStatus.None) return type(uint256).max;
        (bytes32 seed, bool known) = TaskSeeds.peek(t, taskId, KIND_SEATS);
        if (!known) return type(uint256).max;
        if (!staking.eligibleAt(node, ROLE_COMPUTE, t.createdAt, uint64(block.timestamp))) return type(uint256).max;
        return Sortition.rank(seed, node, KIND_SEATS, t.computeCount);
    }

    /// @notice Whether a commit by `node` now would be accepted in each place (the bond aside).
    function isEligible(TaskState storage s, INodeStaking staking, uint256 taskId, address node)
        external
        view
        returns (bool seat, bool verifier, bool juror)
    {
        TaskData storage t = s.tasks[taskId];
        if (t.status != TaskStatus.Seating || s.commits[taskId][node].commitment != bytes32(0)) {
            return (false, false, false);
        }
        if (block.timestamp < TaskStore.seatDeadline(s, t)) return (_seatOpen(s, t, staking, taskId, node), false, false);
        uint256 closes = t.disputed ? TaskStore.commitDeadline(s, t) : TaskStore.verifyDeadline(s, t);
        if (block.timestamp >= closes) return (false, false, false);
        (bytes32 vSeed, bool vKnown) = TaskSeeds.peek(t, taskId, KIND_VERIFIERS);
        if (!vKnown) return (false, false, false);
        if (TaskSeeds.isVerifierDrawn(s, t, vSeed, node)) {
            verifier = staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, uint64(block.timestamp));
            return (false, verifier, false);
        }
        (bytes32 jSeed, bool jKnown) = TaskSeeds.peek(t, taskId, KIND_JURY);
        juror = jKnown && TaskSeeds.isJuror(s, t, staking, vSeed, jSeed, node);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The seat rules; returns the displaced holder (zero when a seat was free). The seat holders are a list
    ///      through their commitments' `nextSeat`: a free seat puts `node` at the head, a displacement puts it where
    ///      the worst holder was.
    function _takeSeat(TaskState storage s, TaskData storage t, CommitData storage c, uint256 taskId, address node)
        private
        returns (address displaced)
    {
        bytes32 seed = TaskSeeds.requireSeed(s, t, taskId, KIND_SEATS);
        uint256 count = t.computeCount;
        uint256 r = Sortition.rank(seed, node, KIND_SEATS, count);
        Params storage p = TaskStore.params(s, t);
        if (!Sortition.isSeatEligible(
                r, count, p.seatFactor, t.redundancy, block.timestamp - t.createdAt, p.seatStep
            )) {
            revert ITaskManager.TaskManagerNotEligible(taskId, node);
        }
        if (t.seatCount < t.redundancy) {
            c.nextSeat = t.seatHead;
            t.seatHead = node;
            ++t.seatCount;
            return address(0);
        }
        (address prev, uint256 worstRank, address worst) = _worstSeat(s, taskId, t.seatHead, seed, count);
        if (!Sortition.before(r, node, worstRank, worst)) revert ITaskManager.TaskManagerSeatTaken(taskId, node);
        c.nextSeat = s.commits[taskId][worst].nextSeat;
        if (prev == address(0)) t.seatHead = node;
        else s.commits[taskId][prev].nextSeat = node;
        return worst;
    }

    /// @dev The seat holder with the largest (rank, address) and the holder before it in the list (zero: the head);
    ///      at most maxRedundancy (≤ 10) iterations.
    function _worstSeat(TaskState storage s, uint256 taskId, address head, bytes32 seed, uint256 count)
        private
        view
        returns (address worstPrev, uint256 worstRank, address worst)
    {
        address prev;
        for (address cur = head; cur != address(0); cur = s.commits[taskId][cur].nextSeat) {
            uint256 r = Sortition.rank(seed, cur, KIND_SEATS, count);
            if (worst == address(0) || Sortition.before(worstRank, worst, r, cur)) {
                (worstPrev, worstRank, worst) = (prev, r, cur);
            }
            prev = cur;
        }
    }

    /// @dev Write the commitment record and the task's counters of its place.
    function _record(
        TaskData storage t,
        CommitData storage c,
        bytes32 commitment,
        uint8 place,
        uint256 locked,
        bool validator
    ) private {
        c.commitment = commitment;
        c.place = place;
        if (place == PLACE_SEAT) {
            // p of §5 counts seat holders that are members of V: they pass the VALIDATOR clocks for this task.
            if (validator) {
                c.validatorRole = true;
                ++t.seatValidators;
            }
        } else if (place == PLACE_VERIFIER) {
            ++t.committedVerifiers;
        } else {
            ++t.committedJurors;
            // locked ≤ the node's stake < 2^128 (NodeStaking stores stakes as uint128).
            c.jurorBond = uint128(locked);
        }
    }

    /// @dev Void a displaced seat's commitment and release its bond (a seat locks the task's bond).
    function _voidSeat(
        TaskState storage s,
        TaskData storage t,
        INodeStaking staking,
        uint256 taskId,
        address loser,
        address by
    ) private {
        CommitData storage lc = s.commits[taskId][loser];
        lc.voided = true;
        lc.bondReleased = true;
        if (lc.validatorRole) --t.seatValidators;
        --s.reputation[loser].commitments; // §4.13: a displaced seat's commitment is taken back
        uint256 bond = TaskStore.bond(s, t);
        staking.releaseBond(loser, bond);
        emit ITaskManager.SeatLost(taskId, loser, by);
        emit ITaskManager.BondReleased(taskId, loser, bond);
    }

    /// @dev The place of a commit after the seat window: a sampled verifier, else a juror of a disputed task (the
    ///      node's clocks are checked by `_lock`).
    function _verifierOrJuror(TaskState storage s, TaskData storage t, uint256 taskId, address node)
        private
        returns (uint8)
    {
        if (t.verifierSeedBlock == 0) revert ITaskManager.TaskManagerNotDrawn(taskId);
        bool disputed = t.disputed;
        if (block.timestamp >= (disputed ? TaskStore.commitDeadline(s, t) : TaskStore.verifyDeadline(s, t))) {
            revert ITaskManager.TaskManagerCommitClosed(taskId);
        }
        bytes32 vSeed = TaskSeeds.requireSeed(s, t, taskId, KIND_VERIFIERS);
        if (TaskSeeds.isVerifierDrawn(s, t, vSeed, node)) return PLACE_VERIFIER;
        if (disputed) {
            bytes32 jSeed = TaskSeeds.requireSeed(s, t, taskId, KIND_JURY);
            if (TaskSeeds.isDrawnJuror(s, t, vSeed, jSeed, node)) return PLACE_JUROR;
        }
        revert ITaskManager.TaskManagerNotEligible(taskId, node);
    }

    /// @dev One NodeStaking call: the node's clocks for the place (COMPUTE now for a seat, VALIDATOR now for a
    ///      sampled verifier, VALIDATOR as of the dispute for a juror), whether a seat holder is a member of V, and the
    ///      lock of the task's bond, or for a juror of min(bond, unlocked), possibly 0: a drawn juror is never refused
    ///      and never excused (PROTOCOL.md §4.5).
    function _lock(
        TaskState storage s,
        TaskData storage t,
        INodeStaking staking,
        uint256 taskId,
        address node,
        uint8 place
    ) private returns (uint256 locked, bool validator) {
        uint256 bond = TaskStore.bond(s, t);
        bool juror = place == PLACE_JUROR;
        bool eligible;
        uint256 unlocked;
        (eligible, validator, locked, unlocked) = staking.lockFor(
            node,
            place == PLACE_SEAT ? ROLE_COMPUTE : ROLE_VALIDATOR,
            t.createdAt,
            juror ? uint64(t.disputedAt) : uint64(block.timestamp),
            bond,
            juror
        );
        if (!eligible) revert ITaskManager.TaskManagerNotEligible(taskId, node);
        if (!juror && locked < bond) revert ITaskManager.TaskManagerBondUnavailable(taskId, node, bond, unlocked);
    }

    /// @dev Whether a seat commit by `node` would be accepted now.
    function _seatOpen(TaskState storage s, TaskData storage t, INodeStaking staking, uint256 taskId, address node)
        private
        view
        returns (bool)
    {
        (bytes32 seed, bool known) = TaskSeeds.peek(t, taskId, KIND_SEATS);
        if (!known) return false;
        if (!staking.eligibleAt(node, ROLE_COMPUTE, t.createdAt, uint64(block.timestamp))) return false;
        uint256 count = t.computeCount;
        uint256 r = Sortition.rank(seed, node, KIND_SEATS, count);
        Params storage p = TaskStore.params(s, t);
        if (!Sortition.isSeatEligible(r, count, p.seatFactor, t.redundancy, block.timestamp - t.createdAt, p.seatStep))
        {
            return false;
        }
        if (t.seatCount < t.redundancy) return true;
        (, uint256 worstRank, address worst) = _worstSeat(s, taskId, t.seatHead, seed, count);
        return Sortition.before(r, node, worstRank, worst);
    }
}
