// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Sortition
/// @notice The lotteries of PROTOCOL.md §4: seat ranks whose eligibility doubles every `seatStep`, sampled
///         verifier places and jurors. Pure functions, unit-tested on their own.
library Sortition {
    /// @notice The seed of kind `kind` for task `taskId` from a block hash: keccak256(abi.encode(bh, taskId, kind)).
    function seedOf(bytes32 blockHash, uint256 taskId, uint8 kind) internal pure returns (bytes32) {
        return keccak256(abi.encode(blockHash, taskId, kind));
    }

    /// @notice uint256(keccak256(abi.encode(seed, node, kind))) % count, or type(uint256).max when count is 0.
    function rank(bytes32 seed, address node, uint8 kind, uint256 count) internal pure returns (uint256) {
        if (count == 0) return type(uint256).max;
        return uint256(keccak256(abi.encode(seed, node, kind))) % count;
    }

    /// @notice `factor · redundancy · 2^s` with s = elapsed / step, saturating at type(uint256).max (and for s ≥ 255).
    function seatThreshold(uint256 factor, uint256 redundancy, uint256 elapsed, uint256 step)
        internal
        pure
        returns (uint256)
    {
        uint256 s = step == 0 ? type(uint256).max : elapsed / step;
        if (s >= 255) return type(uint256).max;
        uint256 base = factor * redundancy; // both ≤ 2^32 in TaskManager; checked anyway
        if (base == 0) return 0;
        if (base > (type(uint256).max >> s)) return type(uint256).max;
        return base << s;
    }

    /// @notice Whether a node of rank `r` among `count` compute nodes may take a seat at `elapsed` seconds.
    function isSeatEligible(uint256 r, uint256 count, uint256 factor, uint256 redundancy, uint256 elapsed, uint256 step)
        internal
        pure
        returns (bool)
    {
        if (count == 0) return false;
        return r < seatThreshold(factor, redundancy, elapsed, step);
    }

    /// @notice Whether `node` is drawn: rank(seed, node, kind, count) < expected (nobody when count is 0;
    ///         everybody when count ≤ expected).
    function isDrawn(bytes32 seed, address node, uint8 kind, uint256 count, uint256 expected)
        internal
        pure
        returns (bool)
    {
        if (count == 0) return false;
        return rank(seed, node, kind, count) < expected;
    }

    /// @notice Whether (rankA, a) orders strictly before (rankB, b): ties of rank order by address.
    function before(uint256 rankA, address a, uint256 rankB, address b) internal pure returns (bool) {
        return rankA < rankB || (rankA == rankB && a < b);
    }
}
