// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    TaskData,
    TaskState,
    TaskStatus,
    CommitData,
    TallyData,
    RepData,
    PLACE_SEAT,
    PAY_NONE,
    PAY_LEADER,
    PAY_ANY
} from "../types/TaskTypes.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Consensus} from "../libraries/Consensus.sol";
import {Payouts} from "../libraries/Payouts.sol";
import {TaskSeeds} from "../libraries/TaskSeeds.sol";
import {TaskLifecycle} from "./TaskLifecycle.sol";
import {TaskStore} from "./TaskStore.sol";

/// @title TaskSettlement
/// @notice External library (linked into TaskManager): finalize (the §5 rule in O(1) and the §6 money as
///         credits), claim, release and liquidate (PROTOCOL.md §4.8–§4.10, §5, §6).
library TaskSettlement {
    /// @notice Apply the consensus rule and credit the task's money (anyone, at or after revealDeadline).
    /// @dev Emits TaskFinalized or TaskUnresolved. Reverts TaskManagerTooEarly(taskId, revealDeadline) and
    ///      TaskLifecycle.openTask's errors. O(1): p of §5 is the seatValidators counter + committedVerifiers.
    function finalize(TaskState storage s, uint256 taskId) external {
        TaskData storage t = TaskLifecycle.openTask(s, taskId);
        uint256 revealEnd = TaskStore.revealDeadline(s, t);
        if (block.timestamp < revealEnd) revert ITaskManager.TaskManagerTooEarly(taskId, revealEnd);
        bool disputed = t.disputed;
        uint256 n = t.n;
        uint256 m = TaskStore.revealedCount(t) - n;
        bool tied = t.tied;
        uint256 activeOfVote;
        if (disputed) {
            activeOfVote = Consensus.voteSize(
                t.seatCount,
                t.committedVerifiers,
                TaskStore.params(s, t).jurySize,
                t.validatorCount,
                uint256(t.seatValidators) + t.committedVerifiers
            );
        }
        if (Consensus.accepts(disputed, n, m, tied, activeOfVote)) {
            t.status = TaskStatus.Finalized;
            bytes32 leader = s.hashes[taskId][t.leaderId];
            _settleFinalized(s, t, taskId, leader);
            emit ITaskManager.TaskFinalized(taskId, leader, n, m);
        } else {
            t.status = TaskStatus.Unresolved;
            bytes32 leader = s.hashes[taskId][t.leaderId];
            _settleUnresolved(s, t, taskId, leader);
            emit ITaskManager.TaskUnresolved(taskId, leader, n, m, tied);
        }
    }

    /// @notice Credit `node`'s share in a settled task and release its bond; repeatable (later liquidations add to
    ///         a winner's share). Emits Claimed (amount 0 on a repeat with nothing new) and, the first time,
    ///         BondReleased. Reverts TaskManagerNotSettled, TaskManagerNothingToClaim (no share in the task).
    /// @return amount what was credited now
    function claim(TaskState storage s, INodeStaking staking, uint256 taskId, address node)
        external
        returns (uint256 amount)
    {
        TaskData storage t = settledTask(s, taskId);
        CommitData storage c = s.commits[taskId][node];
        if (!_isPaid(t, c)) revert ITaskManager.TaskManagerNothingToClaim(taskId, node);
        return _claim(s, staking, t, c, taskId, node);
    }

    /// @notice claim for each (taskIds[i], nodes[i]) pair, crediting each node (never the caller). An entry with
    ///         nothing to claim (task not settled, no share, or a repeat that would credit and release nothing) is
    ///         skipped and emits nothing. Loops over calldata only.
    /// @dev Reverts TaskManagerLengthMismatch when the arrays differ in length.
    function claimBatch(
        TaskState storage s,
        INodeStaking staking,
        uint256[] calldata taskIds,
        address[] calldata nodes
    ) external {
        uint256 len = taskIds.length;
        if (len != nodes.length) revert ITaskManager.TaskManagerLengthMismatch(len, nodes.length);
        for (uint256 i = 0; i < len; ++i) {
            uint256 taskId = taskIds[i];
            address node = nodes[i];
            TaskData storage t = s.tasks[taskId];
            TaskStatus st = t.status;
            if (st != TaskStatus.Finalized && st != TaskStatus.Unresolved) continue;
            CommitData storage c = s.commits[taskId][node];
            if (!_isPaid(t, c)) continue;
            if (c.claimed && c.bondReleased) {
                if (st != TaskStatus.Finalized || t.perWinner == c.claimedPerWinner) continue;
            }
            _claim(s, staking, t, c, taskId, node);
        }
    }

    /// @dev The body of claim for a paid commitment `c`: credit what is new, count §4.13's agreed/earned, release the
    ///      bond the first time.
    function _claim(
        TaskState storage s,
        INodeStaking staking,
        TaskData storage t,
        CommitData storage c,
        uint256 taskId,
        address node
    ) private returns (uint256 amount) {
        RepData storage rep = s.reputation[node];
        bool finalized = t.status == TaskStatus.Finalized;
        if (!c.claimed) {
            c.claimed = true;
            if (c.place == PLACE_SEAT) {
                (,, amount,) = TaskStore.split(s, t);
            } else {
                amount = s.tallies[taskId][s.hashes[taskId][t.leaderId]].verifierPay + t.bondShare;
            }
            // Paid in a Finalized task means revealed the accepted hash: counted once, at the first claim.
            if (finalized) ++rep.agreed;
        }
        if (finalized) {
            uint256 acc = t.perWinner;
            // acc only grows from 0 (liquidations): with acc == 0 the winner's mark is 0 too; skip its slot.
            if (acc != 0) {
                amount += acc - c.claimedPerWinner;
                c.claimedPerWinner = uint128(acc);
            }
        }
        TaskStore.credit(s, node, amount);
        if (amount != 0) TaskStore.earn(rep, amount);
        emit ITaskManager.Claimed(taskId, node, amount);
        if (!c.bondReleased) {
            c.bondReleased = true;
            uint256 bond = TaskStore.bondOf(s, t, c);
            staking.releaseBond(node, bond);
            emit ITaskManager.BondReleased(taskId, node, bond);
        }
    }

    /// @notice Release `node`'s bond in a settled task once it is not at risk (anyone). Emits BondReleased.
    /// @dev Reverts TaskManagerNotSettled, TaskManagerNoCommitment, TaskManagerCommitmentVoided,
    ///      TaskManagerBondReleased, TaskManagerBondAtRisk.
    function release(TaskState storage s, INodeStaking staking, uint256 taskId, address node) external {
        TaskData storage t = settledTask(s, taskId);
        CommitData storage c = s.commits[taskId][node];
        if (c.commitment == bytes32(0)) revert ITaskManager.TaskManagerNoCommitment(taskId, node);
        if (c.voided) revert ITaskManager.TaskManagerCommitmentVoided(taskId, node);
        if (c.bondReleased) revert ITaskManager.TaskManagerBondReleased(taskId, node);
        if (_atRisk(s, t, c, taskId, node)) revert ITaskManager.TaskManagerBondAtRisk(taskId, node);
        c.bondReleased = true;
        uint256 bond = TaskStore.bondOf(s, t, c);
        staking.releaseBond(node, bond);
        emit ITaskManager.BondReleased(taskId, node, bond);
    }

    /// @notice Slash a silent or wrong node, or an absent juror, once per (task, node), never by the node itself, until
    ///         revealDeadline + liquidationWindow. slashed = its bond in the task + bps of (stake − locked +
    ///         unbonding). Finalized: the bounty (if due to the caller) is credited, the rest split among the n nodes
    ///         that revealed R; Unresolved: all to the pool.
    /// @dev Emits Liquidated. Reverts TaskManagerNotSettled, TaskManagerTooLate(taskId, liquidationDeadline),
    ///      TaskManagerSelfLiquidation, TaskManagerAlreadyLiquidated, TaskManagerNotLiquidatable.
    function liquidate(TaskState storage s, INodeStaking staking, uint256 taskId, address node) external {
        TaskData storage t = settledTask(s, taskId);
        uint256 closes = TaskStore.liquidationDeadline(s, t);
        if (block.timestamp >= closes) revert ITaskManager.TaskManagerTooLate(taskId, closes);
        if (msg.sender == node) revert ITaskManager.TaskManagerSelfLiquidation(taskId, node);
        if (s.liquidated[taskId][node]) revert ITaskManager.TaskManagerAlreadyLiquidated(taskId, node);
        (uint256 bond, uint256 bps, bool wrongHash) = _liability(s, t, staking, taskId, node);
        s.liquidated[taskId][node] = true;
        if (wrongHash) ++s.reputation[node].wrong;
        else ++s.reputation[node].silent;

        uint256 slashed = staking.slash(node, bond, bps, address(this));

        if (t.status == TaskStatus.Finalized) {
            uint256 rest = slashed;
            if (_bountyDue(s, t, taskId, wrongHash)) {
                uint256 bounty = Payouts.bpsOf(slashed, TaskStore.params(s, t).liquidatorBountyBps);
                TaskStore.credit(s, msg.sender, bounty);
                TaskStore.earn(s.reputation[msg.sender], bounty);
                rest -= bounty;
            }
            // n ≥ 1 in a Finalized task.
            (uint256 acc, uint256 rem) = Payouts.accrue(t.perWinner, t.slashRemainder, rest, t.n);
            // Both are bounded by the sum of all slashes, which NodeStaking takes from uint128 balances of a token
            // whose supply is 1e27 < 2^128: the casts are exact.
            (t.perWinner, t.slashRemainder) = (uint128(acc), uint128(rem));
        } else {
            s.pool += slashed;
        }
        emit ITaskManager.Liquidated(taskId, node, slashed, msg.sender);
    }

    /// @notice Whether `liquidate(taskId, node)` would succeed now for a caller other than `node`.
    function isLiquidatable(TaskState storage s, INodeStaking staking, uint256 taskId, address node)
        external
        view
        returns (bool)
    {
        TaskData storage t = s.tasks[taskId];
        if (t.status != TaskStatus.Finalized && t.status != TaskStatus.Unresolved) return false;
        if (s.liquidated[taskId][node]) return false;
        CommitData storage c = s.commits[taskId][node];
        if (c.commitment != bytes32(0)) return !c.voided && _atRisk(s, t, c, taskId, node);
        return block.timestamp < TaskStore.liquidationDeadline(s, t) && _isLiableJuror(s, t, staking, node);
    }

    // ------------------------------------------------------------------ internal

    /// @notice The settled (Finalized or Unresolved) task `taskId`: the guard of claim, release and liquidate.
    /// @dev Reverts TaskManagerUnknownTask(taskId) or TaskManagerNotSettled(taskId).
    function settledTask(TaskState storage s, uint256 taskId) internal view returns (TaskData storage t) {
        t = s.tasks[taskId];
        TaskStatus st = t.status;
        if (st == TaskStatus.None) revert ITaskManager.TaskManagerUnknownTask(taskId);
        if (st != TaskStatus.Finalized && st != TaskStatus.Unresolved) revert ITaskManager.TaskManagerNotSettled(taskId);
    }

    /// @dev What a liquidation of `node` takes: (bond, bps, whether it revealed a wrong hash); reverts when nothing.
    function _liability(TaskState storage s, TaskData storage t, INodeStaking staking, uint256 taskId, address node)
        private
        returns (uint256 bond, uint256 bps, bool wrongHash)
    {
        CommitData storage c = s.commits[taskId][node];
        bool finalized = t.status == TaskStatus.Finalized;
        if (c.commitment != bytes32(0)) {
            if (c.voided || !_atRisk(s, t, c, taskId, node)) revert ITaskManager.TaskManagerNotLiquidatable(taskId, node);
            wrongHash = c.revealed;
            bps = finalized ? TaskStore.params(s, t).slashBps : TaskStore.params(s, t).noRevealSlashBps;
            bond = TaskStore.bondOf(s, t, c);
            c.bondReleased = true; // the bond is taken by the slash below
            return (bond, bps, wrongHash);
        }
        if (!_isLiableJuror(s, t, staking, node)) revert ITaskManager.TaskManagerNotLiquidatable(taskId, node);
        return (0, TaskStore.params(s, t).noRevealSlashBps, false);
    }

    /// @dev A drawn juror with no commitment record is liable iff the jury seed was stored by createdAt + commitWindow
    ///      − seatWindow (juryLiable; the verifier seed is stored before it): judged on the stored seeds only, never
    ///      on a seed stored now, and whatever its stake now (jurors are never excused, PROTOCOL.md §4.5, §4.10).
    function _isLiableJuror(TaskState storage s, TaskData storage t, INodeStaking staking, address node)
        private
        view
        returns (bool)
    {
        if (!t.juryLiable) return false; // also: not disputed, or the jury seed not stored in time
        return TaskSeeds.isJuror(s, t, staking, t.verifierSeed, t.jurySeed, node);
    }

    /// @dev A live commitment's bond is at risk while it can still be liquidated: before the liquidation deadline,
    ///      never revealed, or revealed a hash other than R in a Finalized disputed task; and not liquidated yet.
    function _atRisk(TaskState storage s, TaskData storage t, CommitData storage c, uint256 taskId, address node)
        private
        view
        returns (bool)
    {
        if (block.timestamp >= TaskStore.liquidationDeadline(s, t)) return false;
        if (s.liquidated[taskId][node]) return false;
        if (!c.revealed) return true;
        // Finalized: the accepted hash is the leader.
        return t.status == TaskStatus.Finalized && t.disputed && c.hashId != t.leaderId;
    }

    /// @dev The bounty goes to a caller that revealed R, or to the requester/disputer against a wrong reveal.
    function _bountyDue(TaskState storage s, TaskData storage t, uint256 taskId, bool wrongHash)
        private
        view
        returns (bool)
    {
        CommitData storage mine = s.commits[taskId][msg.sender];
        // Only called for a Finalized task, whose accepted hash is the leader.
        if (mine.revealed && !mine.voided && mine.hashId == t.leaderId) return true;
        return wrongHash && (msg.sender == t.requester || (t.disputer != address(0) && msg.sender == t.disputer));
    }

    /// @dev Whether `c` is a live, revealed commitment whose hash the settlement pays. A record exists iff its place
    ///      is set (every commit stores a non-zero place with its commitment): reading the flags' slot only.
    function _isPaid(TaskData storage t, CommitData storage c) private view returns (bool) {
        if (c.place == 0 || c.voided || !c.revealed) return false;
        uint8 mode = t.payMode;
        return mode == PAY_ANY || (mode == PAY_LEADER && c.hashId == t.leaderId);
    }

    /// @dev §6 Finalized: royalty to the model owner, w to each worker that revealed R (claimed later), the other
    ///      seats' shares and the division remainder to the requester, min(w, fee / v) to each verifier and juror
    ///      that revealed R, the rest of the fee to the pool; the dispute bond forfeited iff groundless.
    function _settleFinalized(TaskState storage s, TaskData storage t, uint256 taskId, bytes32 leader) private {
        (uint256 royalty, uint256 fee, uint256 w, uint256 rem) = TaskStore.split(s, t);
        TallyData storage r = s.tallies[taskId][leader];
        uint256 v = r.verifierVotes;
        uint256 pay = Payouts.verifierPay(w, fee, v);
        t.payMode = PAY_LEADER;
        r.verifierPay = uint128(pay); // pay ≤ w < 2^128
        TaskStore.credit(s, t.modelOwner, royalty);
        s.pool += fee - pay * v;
        TaskStore.credit(s, t.requester, (t.redundancy - r.seatVotes) * w + rem);
        if (t.disputed) {
            uint256 bond = t.reward; // the dispute bond
            uint256 revealed = TaskStore.revealedCount(t);
            if (revealed == t.n && revealed == t.liveCommitments && v > 0) {
                t.bondShare = uint128(bond / v); // ≤ reward < 2^96
                s.pool += bond % v;
            } else {
                TaskStore.credit(s, t.disputeBondPayer, bond);
            }
        }
    }

    /// @dev §6 Unresolved: undisputed with a reveal pays the work; disputed with an untied leader pays the leader's
    ///      workers, verifiers and jurors and refunds the rest; otherwise everything is refunded.
    function _settleUnresolved(TaskState storage s, TaskData storage t, uint256 taskId, bytes32 leader) private {
        bool disputed = t.disputed;
        if (!disputed && TaskStore.revealedCount(t) != 0) return _payAny(s, t, taskId, leader);
        uint256 reward = t.reward;
        if (disputed) TaskStore.credit(s, t.disputeBondPayer, reward); // the dispute bond
        if (disputed && t.n != 0 && !t.tied) {
            (, uint256 fee, uint256 w,) = TaskStore.split(s, t);
            TallyData storage lead = s.tallies[taskId][leader];
            uint256 v = lead.verifierVotes;
            uint256 pay = Payouts.verifierPay(w, fee, v);
            t.payMode = PAY_LEADER;
            lead.verifierPay = uint128(pay); // pay ≤ w < 2^128
            s.pool += fee - pay * v;
            TaskStore.credit(s, t.requester, reward - fee - w * lead.seatVotes);
            return;
        }
        t.payMode = PAY_NONE;
        TaskStore.credit(s, t.requester, reward);
    }

    /// @dev §6 Unresolved, not disputed, at least one reveal: the work is paid (every revealed node).
    function _payAny(TaskState storage s, TaskData storage t, uint256 taskId, bytes32 leader) private {
        (uint256 royalty, uint256 fee, uint256 w, uint256 rem) = TaskStore.split(s, t);
        uint256 v = t.revealedVerifiers;
        uint256 pay = Payouts.verifierPay(w, fee, v);
        t.payMode = PAY_ANY;
        // A reveal happened: the leader has a vote, so its record's slot is already non-zero.
        s.tallies[taskId][leader].verifierPay = uint128(pay); // pay ≤ w < 2^128
        TaskStore.credit(s, t.modelOwner, royalty);
        s.pool += fee - pay * v;
        TaskStore.credit(s, t.requester, (t.redundancy - t.revealedSeats) * w + rem);
    }
}
