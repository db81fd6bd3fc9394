// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskState, TaskData, KIND_SEATS, KIND_VERIFIERS, KIND_JURY, ROLE_VALIDATOR} from "../types/TaskTypes.sol";
import {TaskStore} from "../tasks/TaskStore.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {Sortition} from "./Sortition.sol";

/// @title TaskSeeds
/// @notice A task's seeds (PROTOCOL.md §4.1) and the verifier and juror tests over them (§4.4, §4.6).
/// @dev A call in block b asks for a seed; it is keccak256(abi.encode(blockhash(b + 1), taskId, kind)), known from
///      block b + 2 while blockhash(b + 1) answers (until block b + 257), stored by `fixSeed` or by the first later
///      transaction that needs it. A seed still unstored after that is **lost**: only `poke` (fixSeed) acts on it, by
///      re-anchoring it (b becomes the current block, SeedRequested), so the seed again comes from a block nobody had
///      seen when it was asked for. No seed is ever taken from the hash of a block the storing caller could pick.
library TaskSeeds {
    /// @notice The seed of `kind` without storing it; `known` is false before block b + 2, when never asked for,
    ///         and when lost (blockhash(b + 1) no longer answers).
    function peek(TaskData storage t, uint256 taskId, uint8 kind) internal view returns (bytes32 seed, bool known) {
        (bytes32 stored, uint256 b) = _slot(t, kind);
        if (stored != bytes32(0)) return (stored, true);
        if (b == 0 || block.number < b + 2 || block.number > b + 257) return (bytes32(0), false);
        return (Sortition.seedOf(blockhash(b + 1), taskId, kind), true);
    }

    /// @notice The seed of `kind`, stored (and SeedFixed emitted) the first time it is known. The jury seed is
    ///         stored only once the verifier seed is (callers store kind 2 first).
    function fix(TaskState storage s, TaskData storage t, uint256 taskId, uint8 kind) internal returns (bytes32 seed, bool known) {
        (bytes32 stored,) = _slot(t, kind);
        if (stored != bytes32(0)) return (stored, true);
        (seed, known) = peek(t, taskId, kind);
        if (!known) return (seed, false);
        if (kind == KIND_SEATS) {
            t.seatSeed = seed;
        } else if (kind == KIND_VERIFIERS) {
            t.verifierSeed = seed;
        } else {
            t.jurySeed = seed;
            // §4.6: absent jurors are liable only for a jury seed stored while they had time to act.
            if (block.timestamp <= TaskStore.juryDeadline(s, t)) t.juryLiable = true;
        }
        emit ITaskManager.SeedFixed(taskId, kind, seed);
    }

    /// @notice The seed of `kind`, stored; reverts TaskManagerSeedNotReady(taskId, kind) while unknown (not yet, or
    ///         lost: only fixSeed re-anchors).
    function requireSeed(TaskState storage s, TaskData storage t, uint256 taskId, uint8 kind) internal returns (bytes32 seed) {
        bool known;
        (seed, known) = fix(s, t, taskId, kind);
        if (!known) revert ITaskManager.TaskManagerSeedNotReady(taskId, kind);
    }

    /// @notice fixSeed (PROTOCOL.md §4.1): store a known seed, or re-anchor a lost one to this block; a no-op when
    ///         stored, not yet known, or never asked for. Kind 3 first pokes kind 2; while kind 2 is still unstored
    ///         (not known yet, or just re-anchored), a lost kind 3 is re-anchored too and nothing else happens.
    function poke(TaskState storage s, TaskData storage t, uint256 taskId, uint8 kind) internal {
        if (kind == KIND_JURY) {
            poke(s, t, taskId, KIND_VERIFIERS);
            if (t.verifierSeed == bytes32(0)) {
                if (_lost(t, kind)) _reanchor(t, taskId, kind);
                return;
            }
        }
        if (_lost(t, kind)) _reanchor(t, taskId, kind);
        else fix(s, t, taskId, kind);
    }

    /// @dev Whether the seed of `kind` was asked for, is unstored, and its block b + 1 is older than 256 blocks.
    function _lost(TaskData storage t, uint8 kind) private view returns (bool) {
        (bytes32 stored, uint256 b) = _slot(t, kind);
        return stored == bytes32(0) && b != 0 && block.number > b + 257;
    }

    /// @dev Ask for the seed of `kind` again from this block (its seed is then blockhash(block.number + 1)).
    function _reanchor(TaskData storage t, uint256 taskId, uint8 kind) private {
        uint40 b = uint40(block.number);
        if (kind == KIND_SEATS) t.seatSeedBlock = b;
        else if (kind == KIND_VERIFIERS) t.verifierSeedBlock = b;
        else t.jurySeedBlock = b;
        emit ITaskManager.SeedRequested(taskId, kind, b);
    }

    /// @notice Whether `node` passes the sampled verifier lottery (a "place", committed or not).
    function isVerifierDrawn(TaskState storage s, TaskData storage t, bytes32 vSeed, address node)
        internal
        view
        returns (bool)
    {
        return Sortition.isDrawn(vSeed, node, KIND_VERIFIERS, t.validatorCount, TaskStore.params(s, t).expectedVerifiers);
    }

    /// @notice Whether `node` is a drawn juror of a disputed task: a validator that could take a place as of the
    ///         dispute's time, without a verifier place, that passes the jury lottery. (The caller checks that it has
    ///         no commitment record.)
    function isJuror(
        TaskState storage s,
        TaskData storage t,
        INodeStaking staking,
        bytes32 vSeed,
        bytes32 jSeed,
        address node
    ) internal view returns (bool) {
        if (!isDrawnJuror(s, t, vSeed, jSeed, node)) return false;
        return staking.eligibleAt(node, ROLE_VALIDATOR, t.createdAt, t.disputedAt);
    }

    /// @notice The lotteries of isJuror without the staking clocks (a disputed task, no verifier place, drawn).
    function isDrawnJuror(TaskState storage s, TaskData storage t, bytes32 vSeed, bytes32 jSeed, address node)
        internal
        view
        returns (bool)
    {
        if (!t.disputed) return false;
        if (isVerifierDrawn(s, t, vSeed, node)) return false;
        return Sortition.isDrawn(jSeed, node, KIND_JURY, t.validatorCount, TaskStore.params(s, t).jurySize);
    }

    function _slot(TaskData storage t, uint8 kind) private view returns (bytes32 stored, uint256 b) {
        if (kind == KIND_SEATS) return (t.seatSeed, t.seatSeedBlock);
        if (kind == KIND_VERIFIERS) return (t.verifierSeed, t.verifierSeedBlock);
        return (t.jurySeed, t.jurySeedBlock);
    }
}
