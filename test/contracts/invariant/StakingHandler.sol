// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {OmniToken} from "../../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";

/// @dev In a `.t.sol` file on purpose: Hardhat identifies an invariant target only from test-file artifacts
///      (a handler in a plain `.sol` under test/ fails with "address does not have an associated contract").
/// @notice Drives random NodeStaking lifecycles for the invariant test: several actors stake, switch roles,
///         unstake and withdraw while time passes; the handler itself is the owner and a fake TaskManager that
///         locks, releases and slashes. Ghost sums count what went in and out.
contract StakingHandler is CommonBase, StdCheats, StdUtils {
    uint256 public constant ACTORS = 5;
    uint256 internal constant FUNDS = 10_000_000 ether;

    OmniToken public token;
    NodeStaking public staking;
    address public slashSink;
    address[] internal _actors;

    // Ghost sums.
    uint256 public ghostStaked;
    uint256 public ghostWithdrawn;
    uint256 public ghostSlashed;
    uint256 public ghostSlashCalls;
    uint256 public ghostLockedNow;

    // TaskManager-like windows (v3's NodeStaking read them; v4 bounds unbondingPeriod by fixed values instead).
    uint256 public commitWindow = 20 hours;
    uint256 public revealWindow = 4 hours;

    constructor() {
        token = new OmniToken(address(this));
        staking = new NodeStaking(address(token), address(this));
        slashSink = makeAddr("slash-sink");
        for (uint256 i = 0; i < ACTORS; ++i) {
            address a = makeAddr(string(abi.encodePacked("actor-", vm.toString(i))));
            _actors.push(a);
            token.transfer(a, FUNDS);
            vm.prank(a);
            token.approve(address(staking), type(uint256).max);
        }
    }

    /// @dev Called once after construction: this handler acts as the TaskManager.
    function init() external {
        staking.setTaskManager(address(this));
    }

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return _actors[seed % ACTORS];
    }

    // ------------------------------------------------------------- node calls

    function stake(uint256 actorSeed, uint256 amount, uint8 roles) external {
        address a = _actor(actorSeed);
        // Amounts around the minimum, so that nodes cross it both ways.
        amount = bound(amount, 0, 30_000 ether);
        roles = uint8(bound(roles, 1, 3));
        if (amount == 0 && staking.stakeOf(a) == 0) return;
        if (amount > token.balanceOf(a)) return;
        vm.prank(a);
        staking.stake(amount, roles, "ipfs://actor");
        ghostStaked += amount;
    }

    function requestUnstake(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 unlocked = staking.unlockedOf(a);
        if (unlocked == 0) return;
        amount = bound(amount, 1, unlocked);
        vm.prank(a);
        staking.requestUnstake(amount);
    }

    function withdrawUnbonded(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        (uint256 amount, uint64 releaseTime) = staking.unbondingOf(a);
        if (amount == 0 || block.timestamp < releaseTime) return;
        vm.prank(a);
        staking.withdrawUnbonded();
        ghostWithdrawn += amount;
    }

    function warp(uint256 secondsAhead) external {
        vm.warp(block.timestamp + bound(secondsAhead, 1, 3 days));
    }

    // ------------------------------------------------------- TaskManager calls

    function lockBond(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 unlocked = staking.unlockedOf(a);
        if (unlocked == 0) return;
        amount = bound(amount, 1, unlocked);
        staking.lockBond(a, amount);
        ghostLockedNow += amount;
    }

    function releaseBond(uint256 actorSeed, uint256 amount) external {
        address a = _actor(actorSeed);
        uint256 locked = staking.lockedOf(a);
        if (locked == 0) return;
        amount = bound(amount, 1, locked);
        staking.releaseBond(a, amount);
        ghostLockedNow -= amount;
    }

    function slash(uint256 actorSeed, uint256 bond, uint256 bps) external {
        address a = _actor(actorSeed);
        uint256 locked = staking.lockedOf(a);
        bond = bound(bond, 0, locked);
        bps = bound(bps, 0, 10_000);
        uint256 slashed = staking.slash(a, bond, bps, slashSink);
        ghostSlashed += slashed;
        ghostLockedNow -= bond;
        ++ghostSlashCalls;
    }

    // ------------------------------------------------------------ owner calls

    function setMinStake(uint256 value) external {
        staking.setMinStake(bound(value, 1_000 ether, 20_000 ether));
    }
}
