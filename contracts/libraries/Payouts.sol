// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BPS} from "../types/TaskTypes.sol";

/// @title Payouts
/// @notice The arithmetic of PROTOCOL.md §6. Pure.
library Payouts {
    /// @notice How a reward W splits: royalty W·r/10000, fee W·f/10000, worker share w = (W − royalty − fee) / k,
    ///         and the remainder of that division (credited to the requester at finalize).
    function split(uint256 reward, uint256 royaltyBps, uint256 feeBps, uint256 redundancy)
        internal
        pure
        returns (uint256 royalty, uint256 fee, uint256 workerShare, uint256 remainder)
    {
        royalty = (reward * royaltyBps) / BPS;
        fee = (reward * feeBps) / BPS;
        // royaltyBps + feeBps ≤ 2,000 + 5,000 < 10,000, so royalty + fee ≤ reward.
        uint256 rest = reward - royalty - fee;
        workerShare = rest / redundancy;
        remainder = rest % redundancy;
    }

    /// @notice The commitment bond: max(minCommitBond, multiplier × workerShare).
    function bond(uint256 minCommitBond, uint256 multiplier, uint256 workerShare) internal pure returns (uint256) {
        uint256 b = multiplier * workerShare;
        return b > minCommitBond ? b : minCommitBond;
    }

    /// @notice What each of `v` paid verifiers and jurors is owed: min(w, fee / v); 0 when v is 0.
    ///         v · pay ≤ fee: a task never pays out more than its own fee.
    function verifierPay(uint256 workerShare, uint256 fee, uint256 v) internal pure returns (uint256) {
        if (v == 0) return 0;
        uint256 each = fee / v;
        return each < workerShare ? each : workerShare;
    }

    /// @notice Add `amount` to a per-winner accumulator over `n` winners, carrying the remainder:
    ///         perWinner += (amount + rem) / n, rem = (amount + rem) % n. No wei is lost.
    function accrue(uint256 perWinner, uint256 rem, uint256 amount, uint256 n)
        internal
        pure
        returns (uint256 newPerWinner, uint256 newRem)
    {
        uint256 total = amount + rem;
        return (perWinner + total / n, total % n);
    }

    /// @notice `bps` basis points of `amount`, rounded down.
    function bpsOf(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return (amount * bps) / BPS;
    }
}
