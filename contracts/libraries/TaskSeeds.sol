// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskData, KIND_SEATS, KIND_VERIFIERS, KIND_JURY, ROLE_VALIDATOR} from "../types/TaskTypes.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Sortition} from "./Sortition.sol";

/// @title TaskSeeds
/// @notice A task's seeds (PROTOCOL.md §4.1) and the verifier and juror tests over them (§4.4, §4.6).
/// @dev A call in block b asks for a seed; it is keccak256(abi.encode(blockhash(b + 1), taskId, kind)), known from
///      block b + 2, stored by the first later transaction that needs it. After block b + 257 (when blockhash(b + 1)
///      is gone) the storing transaction uses blockhash(block.number − 1): a liveness fallback only.
library TaskSeeds {
    /// @notice The seed of `kind` without storing it; `known` is false before block b + 2 or when never asked for.
    function peek(TaskData storage t, uint256 taskId, uint8 kind) internal view returns (bytes32 seed, bool known) {
        (bytes32 stored, uint256 b) = _slot(t, kind);
        if (stored != bytes32(0)) return (stored, true);
        if (b == 0 || block.number < b + 2) return (bytes32(0), false);
        bytes32 bh = block.number <= b + 257 ? blockhash(b + 1) : blockhash(block.number - 1);
        return (Sortition.seedOf(bh, taskId, kind), true);
    }

    /// @notice The seed of `kind`, stored (and SeedFixed emitted) the first time it is known.
    function fix(TaskData storage t, uint256 taskId, uint8 kind) internal returns (bytes32 seed, bool known) {
        (bytes32 stored,) = _slot(t, kind);
        if (stored != bytes32(0)) return (stored, true);
        (seed, known) = peek(t, taskId, kind);
        if (!known) return (seed, false);
        if (kind == KIND_SEATS) t.seatSeed = seed;
        else if (kind == KIND_VERIFIERS) t.verifierSeed = seed;
        else t.jurySeed = seed;
        emit ITaskManager.SeedFixed(taskId, kind, seed);
    }

    /// @notice The seed of `kind`, stored; reverts TaskManagerSeedNotReady(taskId, kind) while unknown.
    function requireSeed(TaskData storage t, uint256 taskId, uint8 kind) internal returns (bytes32 seed) {
        bool known;
        (seed, known) = fix(t, taskId, kind);
        if (!known) revert ITaskManager.TaskManagerSeedNotReady(taskId, kind);
    }

    /// @notice Whether `node` passes the sampled verifier lottery (a "place", committed or not).
    function isVerifierDrawn(TaskData storage t, bytes32 vSeed, address node) internal view returns (bool) {
        return Sortition.isDrawn(vSeed, node, KIND_VERIFIERS, t.validatorCount, t.expectedVerifiers);
    }

    /// @notice Whether `node` is a drawn juror of a disputed task: a validator that could take a place as of the
    ///         dispute's time, without a verifier place, that passes the jury lottery. (The caller checks that it has
    ///         no commitment record.)
    function isJuror(TaskData storage t, INodeStaking staking, bytes32 vSeed, bytes32 jSeed, address node)
        internal
        view
        returns (bool)
    {
        if (!t.disputed) return false;
        if (isVerifierDrawn(t, vSeed, node)) return false;
        if (!Sortition.isDrawn(jSeed, node, KIND_JURY, t.validatorCount, t.jurySize)) return false;
        return staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, t.disputedAt);
    }

    function _slot(TaskData storage t, uint8 kind) private view returns (bytes32 stored, uint256 b) {
        if (kind == KIND_SEATS) return (t.seatSeed, t.seatSeedBlock);
        if (kind == KIND_VERIFIERS) return (t.verifierSeed, t.verifierSeedBlock);
        return (t.jurySeed, t.jurySeedBlock);
    }
}
