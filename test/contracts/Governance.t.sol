// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {OmniToken} from "../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../contracts/staking/NodeStaking.sol";
import {ModelRegistry} from "../../contracts/registry/ModelRegistry.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {OmniGovernor} from "../../contracts/governance/OmniGovernor.sol";

/// @notice OmniGovernor and the TimelockController over the real protocol contracts (PROTOCOL.md §2, §10), set up
///         as the Ignition module's handover leaves them: the timelock owns NodeStaking and TaskManager, the governor
///         is its only proposer, canceller and executor, the deployer holds no role. A vote changes parameters and
///         spends the verification pool, but only within what the contracts allow: a setter's bound and the pool's
///         balance still hold at execution.
contract GovernanceTest is Test {
    uint48 internal constant VOTING_DELAY = 1;
    uint32 internal constant VOTING_PERIOD = 20;
    uint256 internal constant QUORUM_PERCENT = 4;
    uint256 internal constant DELAY = 1 days;

    OmniToken internal token;
    NodeStaking internal staking;
    ModelRegistry internal registry;
    TaskManager internal tm;
    TimelockController internal timelock;
    OmniGovernor internal governor;

    address internal deployer = makeAddr("deployer");
    address internal voter = makeAddr("voter"); // 50M OMNIT: above the 4 % quorum
    address internal minority = makeAddr("minority"); // 10M OMNIT
    address internal verifier = makeAddr("verifier");

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(100);
        vm.startPrank(deployer);
        token = new OmniToken(deployer);
        staking = new NodeStaking(address(token), deployer);
        registry = new ModelRegistry();
        tm = new TaskManager(address(token), address(staking), address(registry), deployer, deployer);
        staking.setTaskManager(address(tm));
        _handOver();
        require(token.transfer(voter, 50_000_000 ether), "transfer");
        require(token.transfer(minority, 10_000_000 ether), "transfer");
        vm.stopPrank();
        vm.prank(voter);
        token.delegate(voter);
        vm.prank(minority);
        token.delegate(minority);
        vm.roll(block.number + 1);
    }

    /// @dev What deploy/modules/OmniTensor.ts does on a shared network (docs/governance.md): a timelock with delay 0
    ///      and the deployer as its proposer/executor, one batch that accepts both ownerships and sets the real delay,
    ///      then the deployer leaves every role.
    function _handOver() internal {
        address[] memory me = new address[](1);
        me[0] = deployer;
        timelock = new TimelockController(0, me, me, deployer);
        governor = new OmniGovernor(IVotes(address(token)), timelock, VOTING_DELAY, VOTING_PERIOD, 0, QUORUM_PERCENT);
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.grantRole(timelock.EXECUTOR_ROLE(), address(governor));
        staking.transferOwnership(address(timelock));
        tm.transferOwnership(address(timelock));
        address[] memory targets = new address[](3);
        (targets[0], targets[1], targets[2]) = (address(staking), address(tm), address(timelock));
        bytes[] memory data = new bytes[](3);
        data[0] = abi.encodeCall(staking.acceptOwnership, ());
        data[1] = abi.encodeCall(tm.acceptOwnership, ());
        data[2] = abi.encodeCall(timelock.updateDelay, (DELAY));
        uint256[] memory values = new uint256[](3);
        timelock.scheduleBatch(targets, values, data, 0, keccak256("OmniTensor handover"), 0);
        timelock.executeBatch(targets, values, data, 0, keccak256("OmniTensor handover"));
        timelock.revokeRole(timelock.PROPOSER_ROLE(), deployer);
        timelock.revokeRole(timelock.CANCELLER_ROLE(), deployer);
        timelock.revokeRole(timelock.EXECUTOR_ROLE(), deployer);
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer);
    }

    // ------------------------------------------------------------------ helpers

    struct Proposal {
        address[] targets;
        uint256[] values;
        bytes[] calldatas;
        bytes32 descriptionHash;
        uint256 id;
    }

    function _propose(address target, bytes memory data, string memory description) internal returns (Proposal memory p) {
        p.targets = new address[](1);
        p.targets[0] = target;
        p.values = new uint256[](1);
        p.calldatas = new bytes[](1);
        p.calldatas[0] = data;
        p.descriptionHash = keccak256(bytes(description));
        vm.prank(voter);
        p.id = governor.propose(p.targets, p.values, p.calldatas, description);
    }

    /// @dev Proposes, votes it through (voter for, minority against) and queues it; returns at its eta.
    function _pass(address target, bytes memory data, string memory description) internal returns (Proposal memory p) {
        p = _propose(target, data, description);
        vm.roll(block.number + VOTING_DELAY + 1);
        vm.prank(voter);
        governor.castVote(p.id, 1);
        vm.prank(minority);
        governor.castVote(p.id, 0);
        vm.roll(block.number + VOTING_PERIOD);
        assertEq(uint8(governor.state(p.id)), uint8(IGovernor.ProposalState.Succeeded));
        governor.queue(p.targets, p.values, p.calldatas, p.descriptionHash);
        vm.warp(governor.proposalEta(p.id));
    }

    function _execute(Proposal memory p) internal {
        governor.execute(p.targets, p.values, p.calldatas, p.descriptionHash);
    }

    // ------------------------------------------------------------------ deployment

    function test_sizes_fitEIP170() public view {
        assertLe(address(governor).code.length, 24_576, "OmniGovernor");
        assertLe(address(timelock).code.length, 24_576, "TimelockController");
    }

    function test_constructor_setsTokenTimelockAndSettings() public view {
        assertEq(address(governor.token()), address(token));
        assertEq(governor.timelock(), address(timelock));
        assertEq(governor.name(), "OmniGovernor");
        assertEq(governor.votingDelay(), VOTING_DELAY);
        assertEq(governor.votingPeriod(), VOTING_PERIOD);
        assertEq(governor.proposalThreshold(), 0);
        assertEq(governor.quorumNumerator(), QUORUM_PERCENT);
        assertEq(governor.CLOCK_MODE(), "mode=blocknumber&from=default", "OMNIT counts blocks");
        assertEq(governor.quorum(block.number - 1), token.totalSupply() * QUORUM_PERCENT / 100);
    }

    function test_constructor_revertsOnZeroVotingPeriod() public {
        vm.expectRevert(abi.encodeWithSignature("GovernorInvalidVotingPeriod(uint256)", 0));
        new OmniGovernor(IVotes(address(token)), timelock, 1, 0, 0, 4);
    }

    function test_constructor_revertsOnQuorumAbove100() public {
        vm.expectRevert(abi.encodeWithSignature("GovernorInvalidQuorumFraction(uint256,uint256)", 101, 100));
        new OmniGovernor(IVotes(address(token)), timelock, 1, 20, 0, 101);
    }

    function test_handover_leavesTimelockOwnerAndDeployerWithoutRoles() public view {
        assertEq(tm.owner(), address(timelock));
        assertEq(staking.owner(), address(timelock));
        assertEq(tm.pendingOwner(), address(0));
        assertEq(timelock.getMinDelay(), DELAY);
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), deployer));
        assertFalse(timelock.hasRole(timelock.PROPOSER_ROLE(), deployer));
        assertFalse(timelock.hasRole(timelock.EXECUTOR_ROLE(), deployer));
        assertFalse(timelock.hasRole(timelock.CANCELLER_ROLE(), deployer));
        assertTrue(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)), "the timelock admins itself");
    }

    // ------------------------------------------------------------------ parameters

    function test_setRevealWindow_throughGovernance() public {
        Proposal memory p = _pass(address(tm), abi.encodeCall(tm.setRevealWindow, (2 hours)), "reveal 2 h");
        _execute(p);
        assertEq(tm.revealWindow(), 2 hours);
        assertEq(uint8(governor.state(p.id)), uint8(IGovernor.ProposalState.Executed));
    }

    function test_setRevealWindow_outOfBounds_revertsAtExecution() public {
        Proposal memory p = _pass(address(tm), abi.encodeCall(tm.setRevealWindow, (1)), "reveal 1 s");
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerParameterOutOfBounds.selector, "revealWindow", 1));
        _execute(p);
        assertEq(tm.revealWindow(), 4 hours, "unchanged");
        assertEq(uint8(governor.state(p.id)), uint8(IGovernor.ProposalState.Queued), "still queued");
    }

    function test_execute_beforeEta_reverts() public {
        Proposal memory p = _pass(address(staking), abi.encodeCall(staking.setMinStake, (20_000 ether)), "min stake");
        vm.warp(block.timestamp - 1);
        bytes32 salt = bytes20(address(governor)) ^ p.descriptionHash; // GovernorTimelockControl's salt
        bytes32 op = timelock.hashOperationBatch(p.targets, p.values, p.calldatas, 0, salt);
        bytes32 ready = bytes32(1 << uint8(TimelockController.OperationState.Ready));
        vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnexpectedOperationState.selector, op, ready));
        _execute(p);
        vm.warp(block.timestamp + 1);
        _execute(p);
        assertEq(staking.minStake(), 20_000 ether);
    }

    function test_setter_byFormerOwner_reverts() public {
        vm.prank(deployer);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, deployer));
        tm.setRevealWindow(2 hours);
    }

    function test_proposal_withoutQuorum_isDefeated() public {
        vm.prank(voter);
        require(token.transfer(minority, 40_000_000 ether), "transfer"); // voter keeps 10M, below the 40M quorum
        vm.roll(block.number + 1);
        Proposal memory p = _propose(address(tm), abi.encodeCall(tm.setRevealWindow, (2 hours)), "no quorum");
        vm.roll(block.number + VOTING_DELAY + 1);
        vm.prank(voter);
        governor.castVote(p.id, 1);
        vm.roll(block.number + VOTING_PERIOD);
        assertEq(uint8(governor.state(p.id)), uint8(IGovernor.ProposalState.Defeated));
    }

    function test_votingPeriod_changedOnlyByGovernance() public {
        vm.expectRevert(abi.encodeWithSignature("GovernorOnlyExecutor(address)", address(this)));
        governor.setVotingPeriod(100);
        _execute(_pass(address(governor), abi.encodeCall(governor.setVotingPeriod, (100)), "period 100"));
        assertEq(governor.votingPeriod(), 100);
    }

    // ------------------------------------------------------------------ the verification pool (review I-4)

    function test_spendPool_throughGovernance_creditsOnly() public {
        vm.startPrank(deployer);
        token.approve(address(tm), 1_000 ether);
        tm.fundPool(1_000 ether);
        vm.stopPrank();
        uint256 held = token.balanceOf(address(tm));
        _execute(_pass(address(tm), abi.encodeCall(tm.spendPool, (verifier, 300 ether)), "pay canary verifier"));
        assertEq(tm.creditOf(verifier), 300 ether, "a credit, withdrawn by its owner");
        assertEq(tm.verificationPool(), 700 ether);
        assertEq(token.balanceOf(address(tm)), held, "no token leaves until the verifier withdraws");
    }

    function test_spendPool_beyondPool_revertsAtExecution() public {
        Proposal memory p = _pass(address(tm), abi.encodeCall(tm.spendPool, (verifier, 1 ether)), "empty pool");
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerPoolInsufficient.selector, 1 ether, 0));
        _execute(p);
    }
}
