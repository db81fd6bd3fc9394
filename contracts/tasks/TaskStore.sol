// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskState, TaskData, CommitData, RepData, Params, PLACE_JUROR} from "../types/TaskTypes.sol";
import {Payouts} from "../libraries/Payouts.sol";

/// @title TaskStore
/// @notice What a task derives from its parameter set instead of storing it (docs/gas.md): the deadlines of §3 and
///         §4, the worker share and the bond of §6; and the two storage habits of the hot paths: credits that stay
///         non-zero once written, and reputation in one slot. Internal: inlined into each library.
library TaskStore {
    /// @notice The parameter set in force when `t` was created.
    function params(TaskState storage s, TaskData storage t) internal view returns (Params storage) {
        return s.paramSets[t.paramsId];
    }

    /// @notice createdAt + seatWindow: seats close.
    function seatDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        return uint256(t.createdAt) + params(s, t).seatWindow;
    }

    /// @notice createdAt + verifyWindow: sampled verifiers close.
    function verifyDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        return uint256(t.createdAt) + params(s, t).verifyWindow;
    }

    /// @notice createdAt + disputeWindow: disputes close.
    function disputeDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        return uint256(t.createdAt) + params(s, t).disputeWindow;
    }

    /// @notice createdAt + commitWindow: every commit closes, reveals open.
    function commitDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        return uint256(t.createdAt) + params(s, t).commitWindow;
    }

    /// @notice createdAt + commitWindow + revealWindow.
    function revealDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        Params storage p = params(s, t);
        return uint256(t.createdAt) + p.commitWindow + p.revealWindow;
    }

    /// @notice revealDeadline + liquidationWindow: liquidation ends, every bond is releasable (§4.10).
    function liquidationDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        Params storage p = params(s, t);
        return uint256(t.createdAt) + p.commitWindow + p.revealWindow + p.liquidationWindow;
    }

    /// @notice createdAt + commitWindow − seatWindow: absent jurors are liable only for a jury seed stored by then
    ///         (§4.6). disputeWindow ≤ commitWindow − seatWindow (TaskParams), so it is after createdAt.
    function juryDeadline(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        Params storage p = params(s, t);
        return uint256(t.createdAt) + p.commitWindow - p.seatWindow;
    }

    /// @notice Payouts.split of the task's reward with its copied royalty and its parameter set's fee.
    function split(TaskState storage s, TaskData storage t)
        internal
        view
        returns (uint256 royalty, uint256 fee, uint256 w, uint256 rem)
    {
        return Payouts.split(t.reward, t.royaltyBps, params(s, t).verifierFeeBps, t.redundancy);
    }

    /// @notice The task's bond: max(minCommitBond, bondMultiplier × w) of its parameter set.
    function bond(TaskState storage s, TaskData storage t) internal view returns (uint256) {
        (,, uint256 w,) = split(s, t);
        Params storage p = params(s, t);
        return Payouts.bond(p.minCommitBond, p.bondMultiplier, w);
    }

    /// @notice What commitment `c` locked: the task's bond, or a juror's own (min(bond, unlocked) at its commit).
    function bondOf(TaskState storage s, TaskData storage t, CommitData storage c) internal view returns (uint256) {
        return c.place == PLACE_JUROR ? c.jurorBond : bond(s, t);
    }

    /// @notice Reveals so far.
    function revealedCount(TaskData storage t) internal view returns (uint256) {
        return uint256(t.revealedSeats) + t.revealedVerifiers;
    }

    /// @notice Credit `amount` to `account`. The slot holds credit + 1 once written, so that a later credit after a
    ///         withdraw updates a non-zero slot (5,000 gas) instead of writing a fresh one (22,100).
    function credit(TaskState storage s, address account, uint256 amount) internal {
        if (amount == 0) return;
        uint256 v = s.credits[account];
        s.credits[account] = (v == 0 ? 1 : v) + amount;
    }

    /// @notice The credit of `account`.
    function creditOf(TaskState storage s, address account) internal view returns (uint256) {
        uint256 v = s.credits[account];
        return v == 0 ? 0 : v - 1;
    }

    /// @notice Add `amount` to a node's `earned`, saturating at 2^96 − 1 (79 times the whole supply).
    function earn(RepData storage r, uint256 amount) internal {
        uint256 e = uint256(r.earned) + amount;
        r.earned = e > type(uint96).max ? type(uint96).max : uint96(e);
    }
}
