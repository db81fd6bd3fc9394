// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Params} from "../types/TaskTypes.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";

/// @title TaskParams
/// @notice The TaskManager's parameters (PROTOCOL.md §3, §9): the defaults, one getter and one bounded, owner-only
///         setter per parameter. Every setter emits ParameterSet(name, value) and reverts
///         TaskManagerParameterOutOfBounds(name, value) outside its bound: §3's bound, narrowed to the packed storage
///         type (docs/protocol.md, "Packed parameters"). The parameters are an append-only history: a setter
///         that changes a value appends a new set (3 slots), and each task records the index of the set in force at
///         its creation (PROTOCOL.md §3 allows it), so a change never applies to an open task.
/// @dev Modelled on OpenZeppelin's `GovernorSettings` and Uniswap v4's `ProtocolFees`: the settings live in an abstract
///      base that the entry contract inherits, so that `TaskManager` reads as the lifecycle only. The values sit in the
///      `Params` struct returned by `_params()`, which TaskManager keeps inside its `TaskState`: the linked lifecycle
///      libraries then read them through the one storage pointer they already take (a storage variable of its own here
///      would cost every createTask one more library argument).
abstract contract TaskParams is ITaskManager, Ownable2Step {
    // ------------------------------------------------------------------ hooks of the inheriting contract

    /// @dev The parameter set in force (the last entry of the history).
    function _params() internal view virtual returns (Params storage);

    /// @dev Append a copy of the set in force to the history and return it, to be changed: it is in force from now
    ///      on, for tasks created from now on; open tasks keep the entry they were created with.
    function _nextParams() internal virtual returns (Params storage);


    // ------------------------------------------------------------------ fixed bounds (PROTOCOL.md §3)

    /// @notice The most commitWindow + revealWindow may be: every task's liabilities then end within
    ///         MAX_TASK_SPAN + MAX_LIQUIDATION_WINDOW = 6 days of its creation, before any unbonding (≥ 7 days) that
    ///         started after it.
    uint256 public constant MAX_TASK_SPAN = 3 days;
    /// @notice The most liquidationWindow may be.
    uint256 public constant MAX_LIQUIDATION_WINDOW = 3 days;

    // ------------------------------------------------------------------ defaults (PROTOCOL.md §3)

    /// @dev The §3 defaults, stored by the TaskManager constructor.
    function _defaultParams() internal pure returns (Params memory) {
        return Params({
            seatWindow: 5 hours,
            verifyWindow: 10 hours,
            disputeWindow: 11 hours,
            commitWindow: 20 hours,
            revealWindow: 4 hours,
            seatStep: 30 minutes,
            jurySize: 51,
            seatFactor: 4,
            expectedVerifiers: 3,
            bondMultiplier: 100,
            slashBps: 10_000,
            noRevealSlashBps: 1_000,
            liquidatorBountyBps: 500,
            verifierFeeBps: 2_000,
            maxRedundancy: 10,
            maxCallbackGas: 2_000_000,
            liquidationWindow: 3 days,
            minCommitBond: 100 ether,
            minReward: 1 ether
        });
    }

    // ------------------------------------------------------------------ setters (owner)

    /// @notice Seat window (≥ 1 h, < verifyWindow, ≤ commitWindow − disputeWindow).
    function setSeatWindow(uint256 value) external onlyOwner {
        Params storage p = _params();
        uint256 hi = _min(uint256(p.verifyWindow) - 1, uint256(p.commitWindow) - p.disputeWindow);
        _check("seatWindow", value, 1 hours, hi);
        if (p.seatWindow != value) _nextParams().seatWindow = uint32(value);
        emit ParameterSet("seatWindow", value);
    }

    /// @notice Verify window (> seatWindow, ≤ disputeWindow − 1 h).
    function setVerifyWindow(uint256 value) external onlyOwner {
        Params storage p = _params();
        _check("verifyWindow", value, uint256(p.seatWindow) + 1, _subOrZero(p.disputeWindow, 1 hours));
        if (p.verifyWindow != value) _nextParams().verifyWindow = uint32(value);
        emit ParameterSet("verifyWindow", value);
    }

    /// @notice Dispute window (≥ verifyWindow + 1 h, ≤ commitWindow − seatWindow: a jury drawn at the last moment
    ///         still has a whole seat window to commit, and its seed is stored in time, PROTOCOL.md §4.6).
    function setDisputeWindow(uint256 value) external onlyOwner {
        Params storage p = _params();
        uint256 hi = uint256(p.commitWindow) - p.seatWindow;
        _check("disputeWindow", value, uint256(p.verifyWindow) + 1 hours, hi);
        if (p.disputeWindow != value) _nextParams().disputeWindow = uint32(value);
        emit ParameterSet("disputeWindow", value);
    }

    /// @notice Commit window (≥ disputeWindow + seatWindow; commitWindow + revealWindow ≤ 3 days, so every task's
    ///         liabilities end inside any unbonding period of NodeStaking, which is ≥ 7 days).
    function setCommitWindow(uint256 value) external onlyOwner {
        Params storage p = _params();
        uint256 lo = uint256(p.disputeWindow) + p.seatWindow;
        _check("commitWindow", value, lo, _subOrZero(MAX_TASK_SPAN, p.revealWindow));
        if (p.commitWindow != value) _nextParams().commitWindow = uint32(value);
        emit ParameterSet("commitWindow", value);
    }

    /// @notice Jury size (11..255).
    function setJurySize(uint256 value) external onlyOwner {
        _check("jurySize", value, 11, 255);
        Params storage p = _params();
        if (p.jurySize != value) _nextParams().jurySize = uint8(value);
        emit ParameterSet("jurySize", value);
    }

    /// @notice Reveal window (≥ 1 h; commitWindow + revealWindow ≤ 3 days).
    function setRevealWindow(uint256 value) external onlyOwner {
        Params storage p = _params();
        _check("revealWindow", value, 1 hours, _subOrZero(MAX_TASK_SPAN, p.commitWindow));
        if (p.revealWindow != value) _nextParams().revealWindow = uint32(value);
        emit ParameterSet("revealWindow", value);
    }

    /// @notice Seat step (≥ 1 min, ≤ 2^32 − 1 s: the packed type).
    function setSeatStep(uint256 value) external onlyOwner {
        _check("seatStep", value, 1 minutes, type(uint32).max);
        Params storage p = _params();
        if (p.seatStep != value) _nextParams().seatStep = uint32(value);
        emit ParameterSet("seatStep", value);
    }

    /// @notice Seat factor (1..64).
    function setSeatFactor(uint256 value) external onlyOwner {
        _check("seatFactor", value, 1, 64);
        Params storage p = _params();
        if (p.seatFactor != value) _nextParams().seatFactor = uint8(value);
        emit ParameterSet("seatFactor", value);
    }

    /// @notice Expected sampled verifiers (1..64).
    function setExpectedVerifiers(uint256 value) external onlyOwner {
        _check("expectedVerifiers", value, 1, 64);
        Params storage p = _params();
        if (p.expectedVerifiers != value) _nextParams().expectedVerifiers = uint8(value);
        emit ParameterSet("expectedVerifiers", value);
    }

    /// @notice Minimum commitment bond (≤ 2^128 − 1).
    function setMinCommitBond(uint256 value) external onlyOwner {
        _check("minCommitBond", value, 0, type(uint128).max);
        Params storage p = _params();
        if (p.minCommitBond != value) _nextParams().minCommitBond = uint128(value);
        emit ParameterSet("minCommitBond", value);
    }

    /// @notice Bond multiplier (1..1,000).
    function setBondMultiplier(uint256 value) external onlyOwner {
        _check("bondMultiplier", value, 1, 1_000);
        Params storage p = _params();
        if (p.bondMultiplier != value) _nextParams().bondMultiplier = uint16(value);
        emit ParameterSet("bondMultiplier", value);
    }

    /// @notice Slash bps (≤ 10,000).
    function setSlashBps(uint256 value) external onlyOwner {
        _check("slashBps", value, 0, 10_000);
        Params storage p = _params();
        if (p.slashBps != value) _nextParams().slashBps = uint16(value);
        emit ParameterSet("slashBps", value);
    }

    /// @notice No-reveal slash bps (≤ 10,000).
    function setNoRevealSlashBps(uint256 value) external onlyOwner {
        _check("noRevealSlashBps", value, 0, 10_000);
        Params storage p = _params();
        if (p.noRevealSlashBps != value) _nextParams().noRevealSlashBps = uint16(value);
        emit ParameterSet("noRevealSlashBps", value);
    }

    /// @notice Liquidator bounty bps (≤ 2,000).
    function setLiquidatorBountyBps(uint256 value) external onlyOwner {
        _check("liquidatorBountyBps", value, 0, 2_000);
        Params storage p = _params();
        if (p.liquidatorBountyBps != value) _nextParams().liquidatorBountyBps = uint16(value);
        emit ParameterSet("liquidatorBountyBps", value);
    }

    /// @notice Verifier fee bps (≤ 5,000).
    function setVerifierFeeBps(uint256 value) external onlyOwner {
        _check("verifierFeeBps", value, 0, 5_000);
        Params storage p = _params();
        if (p.verifierFeeBps != value) _nextParams().verifierFeeBps = uint16(value);
        emit ParameterSet("verifierFeeBps", value);
    }

    /// @notice Maximum redundancy (1..10).
    function setMaxRedundancy(uint256 value) external onlyOwner {
        _check("maxRedundancy", value, 1, 10);
        Params storage p = _params();
        if (p.maxRedundancy != value) _nextParams().maxRedundancy = uint8(value);
        emit ParameterSet("maxRedundancy", value);
    }

    /// @notice Maximum callback gas (≤ 10,000,000).
    function setMaxCallbackGas(uint256 value) external onlyOwner {
        _check("maxCallbackGas", value, 0, 10_000_000);
        Params storage p = _params();
        if (p.maxCallbackGas != value) _nextParams().maxCallbackGas = uint32(value);
        emit ParameterSet("maxCallbackGas", value);
    }

    /// @notice Minimum reward (> 0, ≤ 2^128 − 1).
    function setMinReward(uint256 value) external onlyOwner {
        _check("minReward", value, 1, type(uint128).max);
        Params storage p = _params();
        if (p.minReward != value) _nextParams().minReward = uint128(value);
        emit ParameterSet("minReward", value);
    }

    /// @notice Liquidation window (1 h .. 3 days): liquidate works until revealDeadline + liquidationWindow.
    function setLiquidationWindow(uint256 value) external onlyOwner {
        _check("liquidationWindow", value, 1 hours, MAX_LIQUIDATION_WINDOW);
        Params storage p = _params();
        if (p.liquidationWindow != value) _nextParams().liquidationWindow = uint32(value);
        emit ParameterSet("liquidationWindow", value);
    }

    // ------------------------------------------------------------------ getters

    /// @inheritdoc ITaskManager
    function liquidationWindow() external view returns (uint256) {
        return _params().liquidationWindow;
    }

    /// @inheritdoc ITaskManager
    function seatWindow() external view returns (uint256) {
        return _params().seatWindow;
    }

    /// @inheritdoc ITaskManager
    function verifyWindow() external view returns (uint256) {
        return _params().verifyWindow;
    }

    /// @inheritdoc ITaskManager
    function disputeWindow() external view returns (uint256) {
        return _params().disputeWindow;
    }

    /// @inheritdoc ITaskManager
    function commitWindow() external view returns (uint256) {
        return _params().commitWindow;
    }

    /// @inheritdoc ITaskManager
    function jurySize() external view returns (uint256) {
        return _params().jurySize;
    }

    /// @inheritdoc ITaskManager
    function revealWindow() external view returns (uint256) {
        return _params().revealWindow;
    }

    /// @inheritdoc ITaskManager
    function seatStep() external view returns (uint256) {
        return _params().seatStep;
    }

    /// @inheritdoc ITaskManager
    function seatFactor() external view returns (uint256) {
        return _params().seatFactor;
    }

    /// @inheritdoc ITaskManager
    function expectedVerifiers() external view returns (uint256) {
        return _params().expectedVerifiers;
    }

    /// @inheritdoc ITaskManager
    function minCommitBond() external view returns (uint256) {
        return _params().minCommitBond;
    }

    /// @inheritdoc ITaskManager
    function bondMultiplier() external view returns (uint256) {
        return _params().bondMultiplier;
    }

    /// @inheritdoc ITaskManager
    function slashBps() external view returns (uint256) {
        return _params().slashBps;
    }

    /// @inheritdoc ITaskManager
    function noRevealSlashBps() external view returns (uint256) {
        return _params().noRevealSlashBps;
    }

    /// @inheritdoc ITaskManager
    function liquidatorBountyBps() external view returns (uint256) {
        return _params().liquidatorBountyBps;
    }

    /// @inheritdoc ITaskManager
    function verifierFeeBps() external view returns (uint256) {
        return _params().verifierFeeBps;
    }

    /// @inheritdoc ITaskManager
    function maxRedundancy() external view returns (uint256) {
        return _params().maxRedundancy;
    }

    /// @inheritdoc ITaskManager
    function maxCallbackGas() external view returns (uint256) {
        return _params().maxCallbackGas;
    }

    /// @inheritdoc ITaskManager
    function minReward() external view returns (uint256) {
        return _params().minReward;
    }

    // ------------------------------------------------------------------ checks

    /// @dev Reverts TaskManagerParameterOutOfBounds(name, value) unless lo ≤ value ≤ hi. Every bound `hi` fits the
    ///      field's type, so the setter's cast is exact.
    function _check(string memory name, uint256 value, uint256 lo, uint256 hi) private pure {
        if (value < lo || value > hi) revert TaskManagerParameterOutOfBounds(name, value);
    }

    /// @dev a − b, or 0 when b > a (then no value passes the bound).
    function _subOrZero(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : 0;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
