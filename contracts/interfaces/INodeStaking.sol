// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title INodeStaking
/// @notice Node registration, stake, unbonding, per-commitment bonds and slashing (PROTOCOL.md §1, §9).
/// @dev Role bits: 1 = COMPUTE, 2 = VALIDATOR. A node's stake includes the bonds locked by its open
///      commitments; unbonding amounts are not stake but stay slashable until withdrawn.
interface INodeStaking {
    // ------------------------------------------------------------------ events
    /// @notice `stake` added `amount` (possibly 0) and set the roles and metadata URI.
    event Staked(address indexed node, uint256 amount, uint8 roles, string metadataURI);
    /// @notice `amount` moved from stake to unbonding; the whole unbonding amount is released at `releaseTime`.
    event UnstakeRequested(address indexed node, uint256 amount, uint64 releaseTime);
    /// @notice The unbonding amount was withdrawn to the node.
    event Unbonded(address indexed node, uint256 amount);
    /// @notice `amount` (the whole slash: bond, stake and unbonding parts) was taken and sent to `to`.
    event Slashed(address indexed node, uint256 amount, address indexed to);
    /// @notice The TaskManager locked `amount` of the node's stake as a commitment bond.
    event BondLocked(address indexed node, uint256 amount);
    /// @notice The TaskManager released `amount` of the node's locked bonds.
    event BondReleased(address indexed node, uint256 amount);
    /// @notice The node's active status or roles changed. `since`: when active, the start of the current run
    ///         (`activeSince`); when inactive, when its last run ended (0 if it never was active).
    event NodeStatusChanged(address indexed node, uint8 roles, bool active, uint64 since);
    /// @notice The TaskManager was set (once).
    event TaskManagerSet(address indexed taskManager);
    /// @notice A new minimum stake, applied to each node at its next stake change.
    event MinStakeSet(uint256 minStake);
    /// @notice A new unbonding period, applied to unstake requests made from now on.
    event UnbondingPeriodSet(uint256 unbondingPeriod);

    // ------------------------------------------------------------------ errors
    /// @notice An amount of zero where a positive amount is required.
    error NodeStakingZeroAmount();
    /// @notice A roles bitmask other than 1, 2 or 3 (or, for a single-role query, other than 1 or 2).
    error NodeStakingInvalidRoles(uint8 roles);
    /// @notice The node's unlocked stake (stake - locked) is below the amount asked for.
    error NodeStakingInsufficientUnlocked(uint256 requested, uint256 available);
    /// @notice `releaseBond` of more than the node's locked bonds.
    error NodeStakingInsufficientLocked(uint256 requested, uint256 locked);
    /// @notice A TaskManager-only function called by another account (or before the TaskManager is set).
    error NodeStakingNotTaskManager(address caller);
    /// @notice `setTaskManager` called a second time.
    error NodeStakingTaskManagerAlreadySet();
    /// @notice A parameter outside its hard bounds; `name` is the parameter.
    error NodeStakingParameterOutOfBounds(string name, uint256 value);
    /// @notice A zero address given for `name`.
    error NodeStakingZeroAddress(string name);
    /// @notice `withdrawUnbonded` with nothing unbonding.
    error NodeStakingNothingToWithdraw();
    /// @notice `withdrawUnbonded` before the release time.
    error NodeStakingStillUnbonding(uint64 releaseTime);
    /// @notice `stake` would make `node` active again, or give it back a role it dropped, before `until`: the time it
    ///         stopped (or dropped the role) + the `unbondingPeriod` in force at the call (PROTOCOL.md §1).
    error NodeStakingCooldown(address node, uint64 until);

    // ------------------------------------------------------------------ functions
    /// @notice Register or top up (amount may be 0 to change roles/metadata only); sets roles. Reverts
    ///         NodeStakingCooldown when it would restart a stopped node, or re-add a dropped role, within
    ///         `unbondingPeriod` of the stop or the drop.
    function stake(uint256 amount, uint8 roles, string calldata metadataURI) external;
    /// @notice Move unlocked stake to unbonding; every request restarts the release time of the whole unbonding amount.
    function requestUnstake(uint256 amount) external;
    /// @notice Withdraw the unbonding amount once its release time is reached.
    function withdrawUnbonded() external;

    function stakeOf(address node) external view returns (uint256);
    function lockedOf(address node) external view returns (uint256);
    function rolesOf(address node) external view returns (uint8);
    function metadataOf(address node) external view returns (string memory);
    /// @notice Active and holds every role bit in `roles` (0: active at all).
    function isActive(address node, uint8 roles) external view returns (bool);
    /// @notice When the node last became active; 0 when inactive.
    function activeSince(address node) external view returns (uint64);
    /// @notice When the node first held `role` in its current active run; 0 when it lacks the role or is inactive.
    function roleSince(address node, uint8 role) external view returns (uint64);
    /// @notice Whether `node` could take a place of `role` in a task created at `createdAt`, judged as of time `at`
    ///         from the records of its last active run: it became active before `createdAt`, took the role before
    ///         `createdAt`, and neither its run nor its role had ended at `at` (an end recorded later than `at` is ignored).
    ///         A node that stopped and started again after `at` has lost that record and returns false; the cooldown
    ///         keeps that from happening while any task that could ask is open.
    function eligibleAt(address node, uint8 role, uint64 createdAt, uint64 at) external view returns (bool);
    /// @notice Until when a `stake` call that ends with `node` active and holding `roles` reverts NodeStakingCooldown
    ///         (0 when no cooldown applies now).
    function cooldownUntil(address node, uint8 roles) external view returns (uint64);
    function unbondingOf(address node) external view returns (uint256 amount, uint64 releaseTime);
    /// @notice Stake not locked by open commitments: `stakeOf(node) - lockedOf(node)`.
    function unlockedOf(address node) external view returns (uint256);
    /// @notice The `minStake` in force at the node's last stake change: the threshold its activity is judged by.
    function stakeThresholdOf(address node) external view returns (uint256);
    function minStake() external view returns (uint256);
    function unbondingPeriod() external view returns (uint256);
    function activeNodeCount() external view returns (uint256);
    function activeComputeCount() external view returns (uint256);
    function activeValidatorCount() external view returns (uint256);
    function activeCounts() external view returns (uint256 compute, uint256 validators);
    function token() external view returns (address);
    function taskManager() external view returns (address);

    /// @notice Owner, once.
    function setTaskManager(address taskManager) external;
    function setMinStake(uint256 minStake) external;
    function setUnbondingPeriod(uint256 unbondingPeriod) external;

    /// @notice TaskManager only: lock `amount` of the node's unlocked stake as a commitment bond.
    function lockBond(address node, uint256 amount) external;
    /// @notice TaskManager only: eligibility (as eligibleAt at `at`), the VALIDATOR clocks now for a COMPUTE place, and
    ///         the lock of `bond` (min(bond, unlocked) when `capped`) in one call; locks nothing when refused.
    function lockFor(address node, uint8 role, uint64 createdAt, uint64 at, uint256 bond, bool capped)
        external
        returns (bool eligible, bool validator, uint256 locked, uint256 unlocked);
    /// @notice TaskManager only: unlock `amount` of the node's locked bonds.
    function releaseBond(address node, uint256 amount) external;
    /// @notice TaskManager only: take `bond` from the node's locked bonds (and its stake), then `bps` of
    ///         (stake − locked + unbonding) from the unlocked stake first and then from unbonding; transfer the
    ///         total to `to`. A slash is a stake change (activity is re-evaluated). Never takes more than the node has.
    function slash(address node, uint256 bond, uint256 bps, address to) external returns (uint256 slashed);
}
