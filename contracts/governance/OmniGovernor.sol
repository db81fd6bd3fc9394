// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title OmniGovernor
/// @notice Governance of OmniTensor by OMNIT holders (PROTOCOL.md §2, §10): an OpenZeppelin Governor whose votes
///         are OMNIT's ERC20Votes checkpoints, counted for/against/abstain, with a quorum that is a fraction of the
///         supply, and whose proposals run through a TimelockController. Once the deployment hands ownership over,
///         the timelock owns NodeStaking and TaskManager: every parameter setter and `spendPool` is then reached only
///         by a proposal that passed a vote and waited out the timelock's delay.
/// @dev The clock is the token's (`token().clock()`): OMNIT uses OpenZeppelin's default, block numbers, so
///      `votingDelay` and `votingPeriod` count blocks. Every setting (delay, period, threshold, quorum) can be
///      changed later only by governance itself (`onlyGovernance`, i.e. through the timelock).
contract OmniGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @param token_ OMNIT (ERC20Votes): whose delegated balances vote.
    /// @param timelock_ the TimelockController that queues and executes passed proposals (it must grant this
    ///        governor PROPOSER_ROLE, CANCELLER_ROLE and EXECUTOR_ROLE).
    /// @param votingDelay_ blocks between a proposal and the start of its vote (the vote snapshot).
    /// @param votingPeriod_ blocks the vote stays open (> 0; GovernorSettings reverts GovernorInvalidVotingPeriod).
    /// @param proposalThreshold_ votes (OMNIT wei) an account needs to propose.
    /// @param quorumPercent_ quorum as a percentage of the supply at the snapshot (≤ 100; GovernorVotesQuorumFraction
    ///        reverts GovernorInvalidQuorumFraction).
    constructor(
        IVotes token_,
        TimelockController timelock_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumPercent_
    )
        Governor("OmniGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent_)
        GovernorTimelockControl(timelock_)
    {}

    // ---- required overrides (OpenZeppelin 5: each resolves a diamond between Governor and one extension) ----

    /// @inheritdoc Governor
    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    /// @inheritdoc Governor
    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @inheritdoc Governor
    function quorum(uint256 timepoint) public view override(Governor, GovernorVotesQuorumFraction) returns (uint256) {
        return super.quorum(timepoint);
    }

    /// @inheritdoc Governor
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @inheritdoc Governor
    function proposalNeedsQueuing(
        uint256 proposalId
    ) public view override(Governor, GovernorTimelockControl) returns (bool) {
        return super.proposalNeedsQueuing(proposalId);
    }

    /// @inheritdoc Governor
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
