// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    TaskData,
    TaskState,
    TaskStatus,
    Commitment,
    TallyData,
    ROLE_COMPUTE,
    ROLE_VALIDATOR,
    KIND_SEATS,
    KIND_VERIFIERS,
    KIND_JURY,
    PLACE_SEAT,
    PLACE_VERIFIER,
    PLACE_JUROR
} from "../types/TaskTypes.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Sortition} from "../libraries/Sortition.sol";
import {Consensus} from "../libraries/Consensus.sol";
import {TaskSeeds} from "../libraries/TaskSeeds.sol";
import {TaskLifecycle} from "./TaskLifecycle.sol";

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
    ///      one place cannot be replayed into another. Emits Committed. Reverts TaskManagerZeroCommitment,
    ///      TaskManagerAlreadyCommitted, TaskManagerCommitClosed, TaskManagerNotDrawn, TaskManagerSeedNotReady,
    ///      TaskManagerNotEligible, TaskManagerSeatTaken, TaskManagerWrongPlace, TaskManagerBondUnavailable (workers
    ///      and sampled verifiers only: a juror is never refused for want of stake) and TaskLifecycle.openTask's.
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
        Commitment storage c = s.commits[taskId][node];
        if (c.commitment != bytes32(0)) revert ITaskManager.TaskManagerAlreadyCommitted(taskId, node);

        uint8 place;
        address displaced;
        if (block.timestamp < t.seatDeadline) {
            displaced = _takeSeat(t, staking, taskId, node);
            place = PLACE_SEAT;
            // p of §5 counts seat holders that are members of V: they pass the VALIDATOR clocks for this task.
            if (staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, uint64(block.timestamp))) {
                c.validatorRole = true;
                ++t.seatValidators;
            }
        } else {
            place = _verifierOrJuror(t, staking, taskId, node);
        }
        if (signedPlace != 0 && signedPlace != place) {
            revert ITaskManager.TaskManagerWrongPlace(taskId, node, signedPlace);
        }
        uint256 bond = _bondFor(t, staking, taskId, node, place);

        c.commitment = commitment;
        c.place = place;
        // bond ≤ the node's stake < 2^128 (NodeStaking stores stakes as uint128).
        c.bond = uint128(bond);
        if (place == PLACE_VERIFIER) ++t.committedVerifiers;
        else if (place == PLACE_JUROR) ++t.committedJurors;
        if (displaced == address(0)) ++t.liveCommitments;
        else _voidSeat(s, staking, taskId, displaced, node);
        ++s.reputation[node].commitments; // §4.13: a live commitment (a displaced seat's is taken back in _voidSeat)

        staking.lockBond(node, bond);
        emit ITaskManager.Committed(taskId, node, place, sealedOutput);
    }

    /// @notice Reveal `node`'s commitment and add one vote for `outputHash` (anyone, in the reveal window).
    /// @dev Emits Revealed. Reverts TaskManagerRevealClosed, TaskManagerZeroOutputHash, TaskManagerNoCommitment,
    ///      TaskManagerCommitmentVoided, TaskManagerAlreadyRevealed, TaskManagerWrongReveal.
    function reveal(TaskState storage s, uint256 taskId, address node, bytes32 outputHash, bytes32 salt) external {
        TaskData storage t = TaskLifecycle.openTask(s, taskId);
        if (block.timestamp < t.commitDeadline || block.timestamp >= t.revealDeadline) {
            revert ITaskManager.TaskManagerRevealClosed(taskId);
        }
        if (outputHash == bytes32(0)) revert ITaskManager.TaskManagerZeroOutputHash(taskId, node);
        Commitment storage c = s.commits[taskId][node];
        if (c.commitment == bytes32(0)) revert ITaskManager.TaskManagerNoCommitment(taskId, node);
        if (c.voided) revert ITaskManager.TaskManagerCommitmentVoided(taskId, node);
        if (c.revealed) revert ITaskManager.TaskManagerAlreadyRevealed(taskId, node);
        if (keccak256(abi.encode(taskId, node, outputHash, salt)) != c.commitment) {
            revert ITaskManager.TaskManagerWrongReveal(taskId, node);
        }
        c.revealed = true;
        c.outputHash = outputHash;
        ++s.reputation[node].revealed;

        TallyData storage h = s.tallies[taskId][outputHash];
        uint32 votes = h.votes + 1;
        h.votes = votes;
        if (c.place == PLACE_SEAT) {
            ++h.seatVotes;
            ++t.revealedSeats;
        } else {
            ++h.verifierVotes;
            ++t.revealedVerifiers;
        }
        uint32 revealed = t.revealedCount + 1;
        t.revealedCount = revealed;
        (bytes32 leader, uint256 n, bool tied) = Consensus.tally(t.leader, t.n, t.tied, outputHash, votes);
        if (leader != t.leader) t.leader = leader;
        // n ≤ revealed < 2^32. m is revealedCount − n (derived, not stored).
        t.n = uint32(n);
        if (tied != t.tied) t.tied = tied;
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
        if (block.timestamp < t.seatDeadline) return (_seatOpen(s, t, staking, taskId, node), false, false);
        uint256 closes = t.disputed ? t.commitDeadline : t.verifyDeadline;
        if (block.timestamp >= closes) return (false, false, false);
        (bytes32 vSeed, bool vKnown) = TaskSeeds.peek(t, taskId, KIND_VERIFIERS);
        if (!vKnown) return (false, false, false);
        if (TaskSeeds.isVerifierDrawn(t, vSeed, node)) {
            verifier = staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, uint64(block.timestamp));
            return (false, verifier, false);
        }
        (bytes32 jSeed, bool jKnown) = TaskSeeds.peek(t, taskId, KIND_JURY);
        juror = jKnown && TaskSeeds.isJuror(t, staking, vSeed, jSeed, node);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The seat rules; returns the displaced holder (zero when a seat was free).
    function _takeSeat(TaskData storage t, INodeStaking staking, uint256 taskId, address node)
        private
        returns (address displaced)
    {
        bytes32 seed = TaskSeeds.requireSeed(t, taskId, KIND_SEATS);
        if (!staking.eligibleAt(node, ROLE_COMPUTE, t.createdAt, uint64(block.timestamp))) {
            revert ITaskManager.TaskManagerNotEligible(taskId, node);
        }
        uint256 count = t.computeCount;
        uint256 r = Sortition.rank(seed, node, KIND_SEATS, count);
        if (!Sortition.isSeatEligible(
                r, count, t.seatFactor, t.redundancy, block.timestamp - t.createdAt, t.seatStep
            )) {
            revert ITaskManager.TaskManagerNotEligible(taskId, node);
        }
        address[] storage seats = t.seatHolders;
        if (seats.length < t.redundancy) {
            seats.push(node);
            return address(0);
        }
        (uint256 worstIndex, uint256 worstRank, address worst) = _worstSeat(seats, seed, count);
        if (!Sortition.before(r, node, worstRank, worst)) revert ITaskManager.TaskManagerSeatTaken(taskId, node);
        seats[worstIndex] = node;
        return worst;
    }

    /// @dev The seat holder with the largest (rank, address); at most maxRedundancy (≤ 10) iterations.
    function _worstSeat(address[] storage seats, bytes32 seed, uint256 count)
        private
        view
        returns (uint256 worstIndex, uint256 worstRank, address worst)
    {
        uint256 len = seats.length;
        for (uint256 i = 0; i < len; ++i) {
            address holder = seats[i];
            uint256 r = Sortition.rank(seed, holder, KIND_SEATS, count);
            if (i == 0 || Sortition.before(worstRank, worst, r, holder)) {
                (worstIndex, worstRank, worst) = (i, r, holder);
            }
        }
    }

    /// @dev Void a displaced seat's commitment and release its bond.
    function _voidSeat(TaskState storage s, INodeStaking staking, uint256 taskId, address loser, address by) private {
        Commitment storage lc = s.commits[taskId][loser];
        lc.voided = true;
        lc.bondReleased = true;
        if (lc.validatorRole) --s.tasks[taskId].seatValidators;
        --s.reputation[loser].commitments; // §4.13: a displaced seat's commitment is taken back
        uint256 bond = lc.bond;
        staking.releaseBond(loser, bond);
        emit ITaskManager.SeatLost(taskId, loser, by);
        emit ITaskManager.BondReleased(taskId, loser, bond);
    }

    /// @dev The place of a commit after the seat window: a sampled verifier, else a juror of a disputed task.
    function _verifierOrJuror(TaskData storage t, INodeStaking staking, uint256 taskId, address node)
        private
        returns (uint8)
    {
        if (t.verifierSeedBlock == 0) revert ITaskManager.TaskManagerNotDrawn(taskId);
        bool disputed = t.disputed;
        if (block.timestamp >= (disputed ? t.commitDeadline : t.verifyDeadline)) {
            revert ITaskManager.TaskManagerCommitClosed(taskId);
        }
        bytes32 vSeed = TaskSeeds.requireSeed(t, taskId, KIND_VERIFIERS);
        if (TaskSeeds.isVerifierDrawn(t, vSeed, node)) {
            if (!staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, uint64(block.timestamp))) {
                revert ITaskManager.TaskManagerNotEligible(taskId, node);
            }
            return PLACE_VERIFIER;
        }
        if (disputed) {
            bytes32 jSeed = TaskSeeds.requireSeed(t, taskId, KIND_JURY);
            if (TaskSeeds.isJuror(t, staking, vSeed, jSeed, node)) return PLACE_JUROR;
        }
        revert ITaskManager.TaskManagerNotEligible(taskId, node);
    }

    /// @dev The bond the commit locks: the task's bond (refused when the unlocked stake is smaller), or for a juror
    ///      min(bond, unlocked), possibly 0: a drawn juror is never refused and never excused (PROTOCOL.md §4.5).
    function _bondFor(TaskData storage t, INodeStaking staking, uint256 taskId, address node, uint8 place)
        private
        view
        returns (uint256)
    {
        uint256 bond = t.bond;
        uint256 unlocked = staking.unlockedOf(node);
        if (place == PLACE_JUROR) return unlocked < bond ? unlocked : bond;
        if (unlocked < bond) revert ITaskManager.TaskManagerBondUnavailable(taskId, node, bond, unlocked);
        return bond;
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
        if (!Sortition.isSeatEligible(r, count, t.seatFactor, t.redundancy, block.timestamp - t.createdAt, t.seatStep))
        {
            return false;
        }
        address[] storage seats = s.tasks[taskId].seatHolders;
        if (seats.length < t.redundancy) return true;
        (, uint256 worstRank, address worst) = _worstSeat(seats, seed, count);
        return Sortition.before(r, node, worstRank, worst);
    }
}
