// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {ROLE_COMPUTE as COMPUTE, ROLE_VALIDATOR as VALIDATOR, BPS as BPS_DENOMINATOR} from "../types/TaskTypes.sol";

/// @title NodeStaking
/// @notice Node registration (roles, metadata URI), stake, unbonding, bonds locked per commitment,
///         slashing, O(1) active counts and the cooldown of roles and activity (PROTOCOL.md §1, §3, §9).
/// @dev    A node's stake includes its locked bonds (`locked <= stake` always holds); unbonding amounts
///         are not stake but stay slashable until withdrawn. Activity is evaluated only at a stake change
///         (`stake`, `requestUnstake`, `slash`) against the `minStake` in force then, which is stored per node
///         (`stakeThresholdOf`). Locking or releasing a bond is not a stake change. Amounts are stored as
///         uint128 (checked on entry): OMNIT's whole supply is 1e27 wei, far below 2^128.
///         Cooldown (PROTOCOL.md §1): a node that stops being active cannot become active again, and an active node
///         that drops a role cannot hold it again, until `unbondingPeriod` (the one in force at the call) has passed
///         since the stop or the drop. A stop ends every role held. Every task's liabilities end within 6 days of
///         its creation (§3) and `unbondingPeriod` is at least 7 days, so the records of a node's last run, which a
///         new run or a re-added role overwrites, are never needed again when they are overwritten.
contract NodeStaking is INodeStaking, Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ types

    /// @dev Per-node record. Slot 0 holds the only fields that `lockBond`/`releaseBond` touch, so each
    ///      of those calls reads and writes a single storage slot.
    struct NodeInfo {
        // slot 0: hot
        uint128 stake; // includes `locked`
        uint128 locked; // bonds of open commitments
        // slot 1
        uint128 unbonding; // requested to unstake, not yet withdrawn (slashable, not stake)
        uint64 releaseTime; // when `unbonding` may be withdrawn
        uint8 roles; // bitmask of ROLE_COMPUTE | ROLE_VALIDATOR
        bool active; // stake >= threshold, as evaluated at the last stake change
        // slot 2
        uint128 threshold; // minStake in force at the last stake change
        uint64 runStart; // when the last active run started (0: never active)
        uint64 runEnd; // when the last active run ended (0 while running or never active)
        // slot 3: role clocks within the last run (start 0: role not held in that run)
        uint64 computeStart;
        uint64 computeEnd; // 0 unless the role was dropped during the run
        uint64 validatorStart;
        uint64 validatorEnd;
    }

    // -------------------------------------------------------------- constants

    /// @notice Role bit of compute nodes.
    uint8 public constant ROLE_COMPUTE = COMPUTE;
    /// @notice Role bit of validator nodes.
    uint8 public constant ROLE_VALIDATOR = VALIDATOR;
    /// @notice Every valid role bit.
    uint8 public constant ALL_ROLES = ROLE_COMPUTE | ROLE_VALIDATOR;
    /// @notice Basis points denominator of `slash`.
    uint256 public constant BPS = BPS_DENOMINATOR;
    /// @notice Default minimum stake: 10,000 OMNIT.
    uint256 public constant DEFAULT_MIN_STAKE = 10_000 ether;
    /// @notice Default unbonding period.
    uint256 public constant DEFAULT_UNBONDING_PERIOD = 7 days;
    /// @notice Lower bound of the unbonding period (PROTOCOL.md §3). The TaskManager bounds
    ///         `commitWindow + revealWindow` and `liquidationWindow` by 3 days each, so every task's liabilities end
    ///         within 6 days of its creation: before any unbonding or cooldown that started after the task.
    uint256 public constant MIN_UNBONDING_PERIOD = 7 days;
    /// @notice Upper bound of the unbonding period, so that an owner cannot lock stakes for ever.
    uint256 public constant MAX_UNBONDING_PERIOD = 365 days;

    // ---------------------------------------------------------------- storage

    IERC20 private immutable _token;
    address private _taskManager;
    uint256 private _minStake;
    uint256 private _unbondingPeriod;

    // One slot: the three counts never exceed the number of addresses that ever staked (< 2^64).
    uint64 private _activeNodes;
    uint64 private _activeCompute;
    uint64 private _activeValidators;

    mapping(address node => NodeInfo) private _nodes;
    mapping(address node => string) private _metadata;

    // --------------------------------------------------------------- modifiers

    modifier onlyTaskManager() {
        // Reverts NodeStakingNotTaskManager(caller) for anyone but the TaskManager (nobody before it is set).
        if (msg.sender != _taskManager) revert NodeStakingNotTaskManager(msg.sender);
        _;
    }

    // ------------------------------------------------------------ constructor

    /// @param token_ the staking token (OMNIT).
    /// @param initialOwner the first owner (an admin account, later a governance timelock).
    /// @dev Reverts NodeStakingZeroAddress("token") for a zero token; Ownable reverts for a zero owner.
    constructor(address token_, address initialOwner) Ownable(initialOwner) {
        if (token_ == address(0)) revert NodeStakingZeroAddress("token");
        _token = IERC20(token_);
        _minStake = DEFAULT_MIN_STAKE;
        _unbondingPeriod = DEFAULT_UNBONDING_PERIOD;
    }

    // ----------------------------------------------------- external: nodes

    /// @notice Register or top up: adds `amount` (pulled with transferFrom, may be 0) to the caller's stake and
    ///         sets its roles and metadata URI. A stake below `minStake` is accepted and leaves the node inactive.
    /// @dev    Anyone. A stake change: activity is re-evaluated against the current `minStake`. Emits `Staked`, and
    ///         `NodeStatusChanged` when the active status or the roles change.
    ///         Cooldown (PROTOCOL.md §1): reverts NodeStakingCooldown(caller, until) when the call would make an
    ///         inactive node active before `until` = its stop time + `unbondingPeriod`, or would give an active node
    ///         a role that it dropped in its current run before `until` = the drop time + `unbondingPeriod` (the
    ///         later one when both roles are in cooldown). A first stake, a role never held in the current run, a
    ///         top-up that keeps an active node active (even one judged now against a raised `minStake`) and
    ///         `stake(0, sameRoles)` never meet a cooldown. A call that leaves an active node below the current
    ///         `minStake` is accepted and stops it, which starts its cooldown: to stay active across a raise of
    ///         `minStake`, top up to the new minimum in one call.
    ///         Reverts NodeStakingInvalidRoles(roles) unless roles is 1, 2 or 3; NodeStakingZeroAmount when
    ///         `amount` is 0 and the caller has no stake (nothing to register).
    /// @param amount OMNIT to add (0 to change roles or metadata only).
    /// @param roles  1 = COMPUTE, 2 = VALIDATOR, 3 = both.
    /// @param metadataURI the node's metadata URI (replaces the previous one).
    function stake(uint256 amount, uint8 roles, string calldata metadataURI) external nonReentrant {
        _checkRoles(roles);
        NodeInfo storage n = _nodes[msg.sender];
        uint256 current = n.stake;
        if (amount == 0 && current == 0) revert NodeStakingZeroAmount();
        // Reverts SafeCastOverflowedUintDowncast beyond 2^128 - 1 (unreachable with OMNIT's supply).
        n.stake = SafeCast.toUint128(current + amount);
        _metadata[msg.sender] = metadataURI;
        emit Staked(msg.sender, amount, roles, metadataURI);
        _onStakeChange(msg.sender, n, roles, true);
        if (amount != 0) _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Move `amount` of the caller's unlocked stake to unbonding. Every request restarts the release time
    ///         of the whole unbonding amount (`now + unbondingPeriod`).
    /// @dev    Anyone. A stake change: activity is re-evaluated (a node in its cooldown stays inactive, see
    ///         `_onStakeChange`). Emits `UnstakeRequested` and, when the status changes, `NodeStatusChanged`.
    ///         Never reverts for a cooldown. Reverts NodeStakingZeroAmount for 0;
    ///         NodeStakingInsufficientUnlocked(amount, stake - locked) above the unlocked stake.
    function requestUnstake(uint256 amount) external {
        if (amount == 0) revert NodeStakingZeroAmount();
        NodeInfo storage n = _nodes[msg.sender];
        uint256 current = n.stake;
        uint256 available;
        // locked <= stake always holds (lockBond checks it; every decrease of stake keeps it).
        unchecked {
            available = current - n.locked;
        }
        if (amount > available) revert NodeStakingInsufficientUnlocked(amount, available);
        uint64 releaseTime = uint64(block.timestamp + _unbondingPeriod);
        // amount <= available <= current < 2^128, so the subtraction cannot underflow and the cast is exact.
        unchecked {
            n.stake = uint128(current - amount);
        }
        n.unbonding += uint128(amount); // checked: reverts on (unreachable) uint128 overflow
        n.releaseTime = releaseTime;
        emit UnstakeRequested(msg.sender, amount, releaseTime);
        _onStakeChange(msg.sender, n, n.roles, false);
    }

    /// @notice Withdraw the caller's whole unbonding amount once its release time is reached.
    /// @dev    Anyone. Emits `Unbonded`. Reverts NodeStakingNothingToWithdraw when nothing is unbonding;
    ///         NodeStakingStillUnbonding(releaseTime) until the release time.
    function withdrawUnbonded() external nonReentrant {
        NodeInfo storage n = _nodes[msg.sender];
        uint256 amount = n.unbonding;
        if (amount == 0) revert NodeStakingNothingToWithdraw();
        uint64 releaseTime = n.releaseTime;
        if (block.timestamp < releaseTime) revert NodeStakingStillUnbonding(releaseTime);
        n.unbonding = 0;
        n.releaseTime = 0;
        emit Unbonded(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------- external: TaskManager

    /// @notice Lock `amount` of the node's unlocked stake as a commitment bond (0 is a no-op lock).
    /// @dev    TaskManager only (else NodeStakingNotTaskManager). Not a stake change. Emits `BondLocked`.
    ///         Reverts NodeStakingInsufficientUnlocked(amount, stake - locked) when the unlocked stake is smaller.
    function lockBond(address node, uint256 amount) external onlyTaskManager {
        NodeInfo storage n = _nodes[node];
        uint256 s = n.stake;
        uint256 lk = n.locked;
        uint256 available;
        // lk <= s is the contract's invariant.
        unchecked {
            available = s - lk;
        }
        if (amount > available) revert NodeStakingInsufficientUnlocked(amount, available);
        // lk + amount <= s < 2^128: no overflow, and the cast is exact.
        unchecked {
            n.locked = uint128(lk + amount);
        }
        emit BondLocked(node, amount);
    }

    /// @notice One call per commitment: whether `node` may take a place of `role` in a task created at `createdAt`,
    ///         judged at `at` (as `eligibleAt`); whether it also passes the VALIDATOR clocks now (a seat's share of p,
    ///         PROTOCOL.md §5); and, when eligible, the lock of `bond`, or of min(bond, unlocked) when `capped` (a
    ///         juror: never refused for want of stake). Replaces eligibleAt + eligibleAt + unlockedOf + lockBond.
    /// @dev    TaskManager only (else NodeStakingNotTaskManager). Not a stake change. Never reverts otherwise: when the
    ///         node is not eligible, or (not `capped`) its unlocked stake is below `bond`, nothing is locked and
    ///         `locked` is 0 (the TaskManager reverts with its own error). Emits `BondLocked` when it locks.
    /// @return eligible whether the role's clocks pass; validator whether the VALIDATOR clocks pass at block.timestamp;
    ///         locked the amount locked; unlocked the unlocked stake before the lock
    function lockFor(address node, uint8 role, uint64 createdAt, uint64 at, uint256 bond, bool capped)
        external
        onlyTaskManager
        returns (bool eligible, bool validator, uint256 locked, uint256 unlocked)
    {
        NodeInfo storage n = _nodes[node];
        eligible = _eligibleAt(n, role, createdAt, at);
        if (!eligible) return (false, false, 0, 0);
        if (role == ROLE_COMPUTE) validator = _eligibleAt(n, ROLE_VALIDATOR, createdAt, uint64(block.timestamp));
        uint256 s = n.stake;
        uint256 lk = n.locked;
        // lk <= s is the contract's invariant.
        unchecked {
            unlocked = s - lk;
        }
        if (bond <= unlocked) locked = bond;
        else if (capped) locked = unlocked;
        else return (true, validator, 0, unlocked);
        if (locked != 0) {
            // lk + locked <= s < 2^128: no overflow, and the cast is exact.
            unchecked {
                n.locked = uint128(lk + locked);
            }
        }
        emit BondLocked(node, locked);
    }

    /// @notice Unlock `amount` of the node's locked bonds.
    /// @dev    TaskManager only (else NodeStakingNotTaskManager). Not a stake change. Emits `BondReleased`.
    ///         Reverts NodeStakingInsufficientLocked(amount, locked) above the locked amount.
    function releaseBond(address node, uint256 amount) external onlyTaskManager {
        NodeInfo storage n = _nodes[node];
        uint256 lk = n.locked;
        if (amount > lk) revert NodeStakingInsufficientLocked(amount, lk);
        // amount <= lk: no underflow.
        unchecked {
            n.locked = uint128(lk - amount);
        }
        emit BondReleased(node, amount);
    }

    /// @notice Slash a node: first `bond` from its locked bonds (capped at `lockedOf`; it leaves both the locked
    ///         amount and the stake), then `bps / 10000` of (stake - locked + unbonding), taken from the unlocked
    ///         stake first and then from unbonding. Never takes more than the node has. Transfers the total to `to`.
    /// @dev    TaskManager only (else NodeStakingNotTaskManager). A stake change: activity is re-evaluated; a node
    ///         slashed below `minStake` stops and starts its cooldown, and a node in its cooldown stays inactive
    ///         (never a revert: a liquidation is never blocked).
    ///         Emits `Slashed(node, slashed, to)` (also for 0) and, when the status changes, `NodeStatusChanged`.
    ///         Reverts NodeStakingParameterOutOfBounds("bps", bps) above 10,000; NodeStakingZeroAddress("to").
    /// @return slashed the whole amount taken and transferred.
    function slash(address node, uint256 bond, uint256 bps, address to)
        external
        onlyTaskManager
        nonReentrant
        returns (uint256 slashed)
    {
        if (bps > BPS) revert NodeStakingParameterOutOfBounds("bps", bps);
        if (to == address(0)) revert NodeStakingZeroAddress("to");
        NodeInfo storage n = _nodes[node];
        uint256 s = n.stake;
        uint256 lk = n.locked;
        uint256 u = n.unbonding;
        uint256 fromBond = bond < lk ? bond : lk;
        uint256 free;
        // fromBond <= lk <= s, so neither subtraction underflows, and lk - fromBond <= s - fromBond keeps free >= 0.
        unchecked {
            s -= fromBond;
            lk -= fromBond;
            free = s - lk;
        }
        // free + u < 2^129 and bps <= 10^4 < 2^14: the product fits easily (checked arithmetic anyway).
        uint256 rest = ((free + u) * bps) / BPS;
        uint256 fromStake = rest < free ? rest : free;
        // rest <= free + u (bps <= BPS), so rest - fromStake <= u; fromStake <= free <= s.
        unchecked {
            u -= rest - fromStake;
            s -= fromStake;
            slashed = fromBond + rest;
        }
        // Each new value is at most its old uint128 value: the casts are exact.
        n.stake = uint128(s);
        n.locked = uint128(lk);
        n.unbonding = uint128(u);
        emit Slashed(node, slashed, to);
        _onStakeChange(node, n, n.roles, false);
        if (slashed != 0) _token.safeTransfer(to, slashed);
    }

    // ------------------------------------------------------- external: owner

    /// @notice Set the TaskManager, once. (v3 checked the unbonding period against its windows; v4's fixed bounds
    ///         of §3 make that check always true, so it is gone.)
    /// @dev    Owner only. Emits `TaskManagerSet`. Reverts NodeStakingTaskManagerAlreadySet on a second call,
    ///         NodeStakingZeroAddress("taskManager") for zero.
    function setTaskManager(address taskManager_) external onlyOwner {
        if (_taskManager != address(0)) revert NodeStakingTaskManagerAlreadySet();
        if (taskManager_ == address(0)) revert NodeStakingZeroAddress("taskManager");
        _taskManager = taskManager_;
        emit TaskManagerSet(taskManager_);
    }

    /// @notice Set the minimum stake. It applies to each node at its next stake change.
    /// @dev    Owner only. Emits `MinStakeSet`. Reverts NodeStakingParameterOutOfBounds("minStake", value) for 0
    ///         or above 2^128 - 1.
    function setMinStake(uint256 minStake_) external onlyOwner {
        if (minStake_ == 0 || minStake_ > type(uint128).max) {
            revert NodeStakingParameterOutOfBounds("minStake", minStake_);
        }
        _minStake = minStake_;
        emit MinStakeSet(minStake_);
    }

    /// @notice Set the unbonding period; it applies to unstake requests made from now on, and to every cooldown
    ///         checked from now on (a cooldown's end is the stop or drop time + the period in force at the check).
    /// @dev    Owner only. Emits `UnbondingPeriodSet`. Bounds (PROTOCOL.md §3): 7 days to 365 days, fixed, so that
    ///         every task's liabilities (at most 6 days) end inside any unbonding and cooldown; else
    ///         NodeStakingParameterOutOfBounds("unbondingPeriod", value).
    function setUnbondingPeriod(uint256 unbondingPeriod_) external onlyOwner {
        if (unbondingPeriod_ < MIN_UNBONDING_PERIOD || unbondingPeriod_ > MAX_UNBONDING_PERIOD) {
            revert NodeStakingParameterOutOfBounds("unbondingPeriod", unbondingPeriod_);
        }
        _unbondingPeriod = unbondingPeriod_;
        emit UnbondingPeriodSet(unbondingPeriod_);
    }

    // ------------------------------------------------------------------ views

    /// @notice The node's stake, locked bonds included.
    function stakeOf(address node) external view returns (uint256) {
        return _nodes[node].stake;
    }

    /// @notice Bonds locked by the node's open commitments (part of its stake).
    function lockedOf(address node) external view returns (uint256) {
        return _nodes[node].locked;
    }

    /// @notice Stake not locked by open commitments.
    function unlockedOf(address node) external view returns (uint256) {
        NodeInfo storage n = _nodes[node];
        return uint256(n.stake) - n.locked;
    }

    /// @notice The node's roles bitmask (1 = COMPUTE, 2 = VALIDATOR).
    function rolesOf(address node) external view returns (uint8) {
        return _nodes[node].roles;
    }

    /// @notice The node's metadata URI.
    function metadataOf(address node) external view returns (string memory) {
        return _metadata[node];
    }

    /// @notice The `minStake` in force at the node's last stake change (0 if it never staked).
    function stakeThresholdOf(address node) external view returns (uint256) {
        return _nodes[node].threshold;
    }

    /// @notice Whether the node is active and holds every role bit of `roles` (0: active at all).
    function isActive(address node, uint8 roles) external view returns (bool) {
        NodeInfo storage n = _nodes[node];
        return n.active && (n.roles & roles) == roles;
    }

    /// @notice When the node last became active; 0 when inactive.
    function activeSince(address node) external view returns (uint64) {
        NodeInfo storage n = _nodes[node];
        return n.active ? n.runStart : 0;
    }

    /// @notice When the node first held `role` in its current active run: the later of its activation and the
    ///         time the role was added. 0 when the node lacks the role or is inactive.
    /// @dev    Reverts NodeStakingInvalidRoles(role) unless role is 1 or 2.
    function roleSince(address node, uint8 role) external view returns (uint64) {
        _checkSingleRole(role);
        NodeInfo storage n = _nodes[node];
        if (!n.active || (n.roles & role) == 0) return 0;
        return role == ROLE_COMPUTE ? n.computeStart : n.validatorStart;
    }

    /// @notice Whether `node` could take a place of `role` in a task created at `createdAt`, judged as of time `at`
    ///         from the records of its last active run: the run started before `createdAt`, the role's clock started
    ///         before `createdAt`, and neither the run nor the role had ended at `at` (an end at or before `at`
    ///         counts; an end recorded later than `at` is ignored). A node that stopped and started again, or that
    ///         dropped and re-added the role, after `createdAt` has lost the earlier record and returns false.
    ///         With the cooldown, a record is overwritten only `unbondingPeriod` (>= 7 days) after its run or role
    ///         ended, so for every task that can still judge the node (at most 6 days old) the answer is the truth.
    /// @dev    Reverts NodeStakingInvalidRoles(role) unless role is 1 or 2.
    function eligibleAt(address node, uint8 role, uint64 createdAt, uint64 at) external view returns (bool) {
        _checkSingleRole(role);
        return _eligibleAt(_nodes[node], role, createdAt, at);
    }

    /// @notice Until when (`block.timestamp <` the result) a `stake` call by `node` that ends with it active and holding
    ///         every role of `roles` reverts NodeStakingCooldown: for an inactive node, its stop time +
    ///         `unbondingPeriod`; for an active one, the latest drop time + `unbondingPeriod` of a role of `roles`
    ///         that it dropped in its current run and does not hold now. 0 when no cooldown applies now.
    /// @dev    Reverts NodeStakingInvalidRoles(roles) unless roles is 1, 2 or 3.
    function cooldownUntil(address node, uint8 roles) external view returns (uint64) {
        _checkRoles(roles);
        NodeInfo storage n = _nodes[node];
        uint64 until = n.active ? _roleCooldown(n, roles & ~n.roles) : _cooldownEnd(n.runEnd);
        return block.timestamp < until ? until : 0;
    }

    /// @notice The node's unbonding amount and the time it may be withdrawn.
    function unbondingOf(address node) external view returns (uint256 amount, uint64 releaseTime) {
        NodeInfo storage n = _nodes[node];
        return (n.unbonding, n.releaseTime);
    }

    /// @notice The minimum stake for new stake changes.
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @notice The unbonding period of new unstake requests, in seconds.
    function unbondingPeriod() external view returns (uint256) {
        return _unbondingPeriod;
    }

    /// @notice Number of active nodes.
    function activeNodeCount() external view returns (uint256) {
        return _activeNodes;
    }

    /// @notice Number of active nodes holding the COMPUTE role.
    function activeComputeCount() external view returns (uint256) {
        return _activeCompute;
    }

    /// @notice Number of active nodes holding the VALIDATOR role.
    function activeValidatorCount() external view returns (uint256) {
        return _activeValidators;
    }

    /// @notice activeComputeCount() and activeValidatorCount() in one call (one slot): the snapshots C and V of a
    ///         new task (PROTOCOL.md §4.1).
    function activeCounts() external view returns (uint256 compute, uint256 validators) {
        return (_activeCompute, _activeValidators);
    }

    /// @notice The staking token (OMNIT).
    function token() external view returns (address) {
        return address(_token);
    }

    /// @notice The TaskManager (zero until set).
    function taskManager() external view returns (address) {
        return _taskManager;
    }

    // --------------------------------------------------------------- internal

    /// @dev eligibleAt over a loaded record (`role` is 1 or 2).
    function _eligibleAt(NodeInfo storage n, uint8 role, uint64 createdAt, uint64 at) private view returns (bool) {
        uint64 runStart = n.runStart;
        if (runStart == 0 || runStart >= createdAt) return false;
        uint64 runEnd = n.runEnd;
        if (runEnd != 0 && runEnd <= at) return false;
        (uint64 start, uint64 end) =
            role == ROLE_COMPUTE ? (n.computeStart, n.computeEnd) : (n.validatorStart, n.validatorEnd);
        if (start == 0 || start >= createdAt) return false;
        if (end != 0 && end <= at) return false;
        return true;
    }

    /// @dev Re-evaluates the node's activity after a stake change, applies `newRoles`, keeps the run and role
    ///      clocks and the active counts, and emits NodeStatusChanged when the status or the roles change.
    ///      Cooldown: `fromStake` (a `stake` call) reverts NodeStakingCooldown(node, until) for a restart or a
    ///      re-added role too early. `requestUnstake` and `slash` (which keep the roles) never revert: when one of
    ///      them would make a node in its cooldown active (possible only after `minStake` was lowered), the node
    ///      stays inactive and keeps the threshold it is judged by (its stake, which only fell, is still below it).
    function _onStakeChange(address node, NodeInfo storage n, uint8 newRoles, bool fromStake) private {
        uint256 threshold = _minStake; // <= 2^128 - 1 by setMinStake's bound
        bool wasActive = n.active;
        uint8 oldRoles = n.roles;
        bool nowActive = n.stake >= threshold; // threshold > 0, so a zero stake is never active
        if (nowActive) {
            uint64 until = wasActive ? _roleCooldown(n, newRoles & ~oldRoles) : _cooldownEnd(n.runEnd);
            if (block.timestamp < until) {
                if (fromStake) revert NodeStakingCooldown(node, until);
                return; // not `stake`: no role changes, so only a restart can be in cooldown, and it is refused
            }
        }
        n.threshold = uint128(threshold);
        if (wasActive == nowActive && oldRoles == newRoles) return;

        // A uint64 holds timestamps for the next 500 billion years.
        uint64 now_ = uint64(block.timestamp);
        n.roles = newRoles;
        n.active = nowActive;
        if (nowActive) {
            if (!wasActive) {
                n.runStart = now_;
                n.runEnd = 0;
                // Each counted node is a distinct address that staked: far below 2^64.
                unchecked {
                    ++_activeNodes;
                }
            }
            // Roles already running keep their clocks; roles added now start theirs; dropped roles end.
            uint8 prev = wasActive ? oldRoles : 0;
            _updateRole(n, ROLE_COMPUTE, prev, newRoles, now_, !wasActive);
            _updateRole(n, ROLE_VALIDATOR, prev, newRoles, now_, !wasActive);
        } else if (wasActive) {
            n.runEnd = now_;
            // The node was counted (active, with oldRoles) when it became active or took the role: >= 1 each.
            unchecked {
                --_activeNodes;
                if ((oldRoles & ROLE_COMPUTE) != 0) --_activeCompute;
                if ((oldRoles & ROLE_VALIDATOR) != 0) --_activeValidators;
            }
        }
        emit NodeStatusChanged(node, newRoles, nowActive, nowActive ? n.runStart : n.runEnd);
    }

    /// @dev One role's clock and count for a node that is active after the change. `prev` is the roles it held
    ///      while active before the change (0 if it was inactive); `newRun` clears a role record of a past run.
    function _updateRole(NodeInfo storage n, uint8 role, uint8 prev, uint8 next, uint64 now_, bool newRun) private {
        bool had = (prev & role) != 0;
        bool has = (next & role) != 0;
        if (has && !had) {
            if (role == ROLE_COMPUTE) {
                n.computeStart = now_;
                n.computeEnd = 0;
            } else {
                n.validatorStart = now_;
                n.validatorEnd = 0;
            }
            // Each counted node is a distinct address: far below 2^64.
            unchecked {
                if (role == ROLE_COMPUTE) ++_activeCompute;
                else ++_activeValidators;
            }
        } else if (had && !has) {
            if (role == ROLE_COMPUTE) n.computeEnd = now_;
            else n.validatorEnd = now_;
            // The node held the role while active, so it was counted: the count is >= 1.
            unchecked {
                if (role == ROLE_COMPUTE) --_activeCompute;
                else --_activeValidators;
            }
        } else if (newRun && !has) {
            // A role of a past run that the new run does not hold: forget its clock.
            if (role == ROLE_COMPUTE) {
                n.computeStart = 0;
                n.computeEnd = 0;
            } else {
                n.validatorStart = 0;
                n.validatorEnd = 0;
            }
        }
    }

    /// @dev When the cooldown of an end recorded at `end` ends: `end + unbondingPeriod`, or 0 for no end (a node
    ///      that never stopped, or a role never dropped in the current run). Fits a uint64: `end` is a block
    ///      timestamp and the period is at most 365 days.
    function _cooldownEnd(uint64 end) private view returns (uint64) {
        return end == 0 ? 0 : uint64(end + _unbondingPeriod);
    }

    /// @dev The latest cooldown end of the roles in `added` that an active node dropped in its current run (an end
    ///      is non-zero only for a role dropped in the current run: a new run clears or restarts every role record).
    function _roleCooldown(NodeInfo storage n, uint8 added) private view returns (uint64 until) {
        if ((added & ROLE_COMPUTE) != 0) until = _cooldownEnd(n.computeEnd);
        if ((added & ROLE_VALIDATOR) != 0) {
            uint64 v = _cooldownEnd(n.validatorEnd);
            if (v > until) until = v;
        }
    }

    /// @dev Reverts NodeStakingInvalidRoles(roles) unless roles is 1, 2 or 3.
    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || (roles & ~ALL_ROLES) != 0) revert NodeStakingInvalidRoles(roles);
    }

    /// @dev Reverts NodeStakingInvalidRoles(role) unless role is exactly 1 or 2.
    function _checkSingleRole(uint8 role) private pure {
        if (role != ROLE_COMPUTE && role != ROLE_VALIDATOR) revert NodeStakingInvalidRoles(role);
    }
}
