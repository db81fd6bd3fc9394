// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {OmniToken} from "../../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";

/// @notice A stand-in TaskManager for NodeStaking's tests; tests call the TaskManager-only functions by pranking its
///         address. Its windows are settable only to show that NodeStaking no longer reads them (v4: fixed bounds).
contract FakeTaskManager {
    uint256 public commitWindow = 20 hours;
    uint256 public revealWindow = 4 hours;

    function setWindows(uint256 commitWindow_, uint256 revealWindow_) external {
        commitWindow = commitWindow_;
        revealWindow = revealWindow_;
    }
}

/// @notice Shared suite for the NodeStaking tests: OMNIT to a treasury, NodeStaking owned by `owner`, a fake
///         TaskManager set, and three funded nodes that approved NodeStaking.
abstract contract StakingBase is Test {
    uint8 internal constant COMPUTE = 1;
    uint8 internal constant VALIDATOR = 2;
    uint8 internal constant BOTH = 3;
    uint256 internal constant MIN = 10_000 ether;
    uint256 internal constant FUNDS = 1_000_000 ether;
    uint64 internal constant T0 = 1_700_000_000;

    OmniToken internal token;
    NodeStaking internal staking;
    FakeTaskManager internal tm;

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal sink = makeAddr("sink");

    function setUp() public virtual {
        vm.warp(T0);
        token = new OmniToken(treasury);
        staking = new NodeStaking(address(token), owner);
        tm = new FakeTaskManager();
        vm.prank(owner);
        staking.setTaskManager(address(tm));
        _fund(alice);
        _fund(bob);
        _fund(carol);
    }

    function _fund(address who) internal {
        vm.prank(treasury);
        token.transfer(who, FUNDS);
        vm.prank(who);
        token.approve(address(staking), type(uint256).max);
    }

    function _stake(address node, uint256 amount, uint8 roles) internal {
        vm.prank(node);
        staking.stake(amount, roles, "ipfs://node");
    }

    function _unstake(address node, uint256 amount) internal {
        vm.prank(node);
        staking.requestUnstake(amount);
    }

    function _lock(address node, uint256 amount) internal {
        vm.prank(address(tm));
        staking.lockBond(node, amount);
    }

    function _release(address node, uint256 amount) internal {
        vm.prank(address(tm));
        staking.releaseBond(node, amount);
    }

    function _slash(address node, uint256 bond, uint256 bps) internal returns (uint256) {
        vm.prank(address(tm));
        return staking.slash(node, bond, bps, sink);
    }

    function _assertCounts(uint256 nodes, uint256 compute, uint256 validators) internal view {
        assertEq(staking.activeNodeCount(), nodes, "activeNodeCount");
        assertEq(staking.activeComputeCount(), compute, "activeComputeCount");
        assertEq(staking.activeValidatorCount(), validators, "activeValidatorCount");
    }
}
