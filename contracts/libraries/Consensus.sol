// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Consensus
/// @notice The consensus rule of PROTOCOL.md §5 (AegisAI PoS+W) and its O(1) incremental tally. Pure.
library Consensus {
    /// @notice The tally after one more reveal of a hash that now has `votes` reveals (its count after this one).
    /// @dev    `votes` is the old count + 1 and the old count was ≤ n, so votes > n means votes == n + 1: the hash
    ///         now leads alone. votes == n means a different hash now ties the leader.
    /// @param leader the leading hash before, `n` its votes, `tied` whether another hash had as many
    /// @return newLeader, newN, newTied after the reveal
    function tally(bytes32 leader, uint256 n, bool tied, bytes32 outputHash, uint256 votes)
        internal
        pure
        returns (bytes32, uint256, bool)
    {
        if (votes > n) return (outputHash, votes, false);
        if (votes == n && outputHash != leader) return (leader, n, true);
        return (leader, n, tied);
    }

    /// @notice The nodes called to a disputed vote: A_d = committed seats + committed sampled verifiers + J,
    ///         J = min(jurySize, V − p) (0 when p ≥ V).
    function voteSize(uint256 committedSeats, uint256 committedVerifiers, uint256 jurySize, uint256 v, uint256 p)
        internal
        pure
        returns (uint256)
    {
        uint256 free = v > p ? v - p : 0;
        uint256 j = free < jurySize ? free : jurySize;
        return committedSeats + committedVerifiers + j;
    }

    /// @notice Whether the leading hash is accepted (the task is Finalized).
    ///         Undisputed: n > 0 and m == 0. Disputed: n > min(10·m, floor(A_d·66/100)). A tie never finalizes.
    function accepts(bool disputed, uint256 n, uint256 m, bool tied, uint256 activeOfVote) internal pure returns (bool) {
        if (n == 0 || tied) return false;
        if (!disputed) return m == 0;
        uint256 a = (activeOfVote * 66) / 100;
        uint256 tenM = 10 * m;
        return n > (tenM < a ? tenM : a);
    }
}
