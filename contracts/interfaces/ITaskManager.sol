// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    Task, TaskRequest, SignedCommit, TaskStatus, Commitment, HashTally, Reveal, Reputation
} from "../types/TaskTypes.sol";

/// @title ITaskManager
/// @notice Task escrow, sortition, sealed commitments, reveals, the consensus rule, liquidation, the verification
///         pool, pull payments and consumer callbacks (PROTOCOL.md §4, §5, §6, §9).
/// @dev Deviations from and additions to PROTOCOL.md v4, with their reasons, are listed in docs/protocol.md
///      ("Where the project differs from PROTOCOL.md, and why"). The events and errors of the linked libraries
///      (TaskLifecycle, TaskCommits, TaskSettlement) are declared here, so TaskManager's ABI carries them all.
interface ITaskManager {
    // ------------------------------------------------------------------ events (PROTOCOL.md §9)
    event TaskCreated(
        uint256 indexed taskId,
        address indexed requester,
        bytes32 indexed modelId,
        bytes input,
        string inputURI,
        bytes32 inputHash,
        uint256 reward,
        uint8 redundancy,
        bytes32 resultKey,
        uint64 seatDeadline,
        uint64 revealDeadline
    );
    event VerifiersDrawn(uint256 indexed taskId);
    event SeedFixed(uint256 indexed taskId, uint8 kind, bytes32 seed);
    /// @notice A lost seed (its block b + 1 older than 256 blocks, never stored) re-anchored to `blockNumber`.
    event SeedRequested(uint256 indexed taskId, uint8 kind, uint256 blockNumber);
    event Committed(uint256 indexed taskId, address indexed node, uint8 place, bytes sealedOutput);
    event CommitSkipped(uint256 indexed taskId, address indexed node, bytes reason);
    event SeatLost(uint256 indexed taskId, address indexed node, address indexed by);
    event TaskDisputed(uint256 indexed taskId, address indexed by, uint256 bond);
    event Revealed(uint256 indexed taskId, address indexed node, bytes32 outputHash);
    event RevealSkipped(uint256 indexed taskId, address indexed node, bytes reason);
    event TaskFinalized(uint256 indexed taskId, bytes32 outputHash, uint256 n, uint256 m);
    event TaskUnresolved(uint256 indexed taskId, bytes32 leader, uint256 n, uint256 m, bool tied);
    event TaskCancelled(uint256 indexed taskId);
    event Liquidated(uint256 indexed taskId, address indexed node, uint256 amount, address indexed liquidator);
    event Claimed(uint256 indexed taskId, address indexed node, uint256 amount);
    event BondReleased(uint256 indexed taskId, address indexed node, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event ResultDelivered(uint256 indexed taskId, bytes output);
    event CallbackFailed(uint256 indexed taskId, bytes reason);
    // additions
    event ParameterSet(string name, uint256 value);
    event PoolFunded(address indexed from, uint256 amount);
    event PoolSpent(address indexed to, uint256 amount);

    // ------------------------------------------------------------------ errors
    /// @notice A constructor address is zero.
    error TaskManagerZeroAddress(string name);
    /// @notice A setter's value is outside the §3 bound (or the storage type).
    error TaskManagerParameterOutOfBounds(string name, uint256 value);
    /// @notice A TaskRequest field is invalid (reward, redundancy, callbackGasLimit, inputHash, inputURI, modelId).
    error TaskManagerInvalidRequest(string field);
    /// @notice No task has this id.
    error TaskManagerUnknownTask(uint256 taskId);
    /// @notice The task is not open (it is Finalized, Unresolved or Cancelled).
    error TaskManagerNotOpen(uint256 taskId, TaskStatus status);
    /// @notice The task is still open: finalize first.
    error TaskManagerNotSettled(uint256 taskId);
    /// @notice The action opens at `opensAt`.
    error TaskManagerTooEarly(uint256 taskId, uint256 opensAt);
    /// @notice The action closed at `closedAt`.
    error TaskManagerTooLate(uint256 taskId, uint256 closedAt);
    /// @notice No place of this task takes commits now.
    error TaskManagerCommitClosed(uint256 taskId);
    /// @notice The seed of `kind` is not known yet (it is known from block b + 2), or was never asked for.
    error TaskManagerSeedNotReady(uint256 taskId, uint8 kind);
    /// @notice The commitment is zero.
    error TaskManagerZeroCommitment(uint256 taskId);
    /// @notice The node already has a commitment record (live or voided) in the task.
    error TaskManagerAlreadyCommitted(uint256 taskId, address node);
    /// @notice The node may take no place in the task now (clocks, sortition or lottery).
    error TaskManagerNotEligible(uint256 taskId, address node);
    /// @notice Every seat is taken by a node that ranks before this one.
    error TaskManagerSeatTaken(uint256 taskId, address node);
    /// @notice The node's unlocked stake is below what the commitment must lock.
    error TaskManagerBondUnavailable(uint256 taskId, address node, uint256 needed, uint256 unlocked);
    /// @notice The signature's deadline has passed.
    error TaskManagerSignatureExpired(uint256 deadline);
    /// @notice The signature does not recover to the node.
    error TaskManagerInvalidSigner(address node, address signer);
    /// @notice Verifiers are already drawn.
    error TaskManagerAlreadyDrawn(uint256 taskId);
    /// @notice Verifiers are not drawn yet: call drawVerifiers.
    error TaskManagerNotDrawn(uint256 taskId);
    /// @notice No seat was committed.
    error TaskManagerNoSeatCommitted(uint256 taskId);
    /// @notice Only the requester may do this.
    error TaskManagerNotRequester(uint256 taskId, address caller);
    /// @notice Only the requester or its disputer may dispute.
    error TaskManagerNotDisputer(uint256 taskId, address caller);
    /// @notice The task is already disputed.
    error TaskManagerAlreadyDisputed(uint256 taskId);
    /// @notice A seat is committed: the task can no longer be cancelled.
    error TaskManagerSeatsCommitted(uint256 taskId);
    /// @notice Reveals are taken from createdAt + commitWindow until revealDeadline.
    error TaskManagerRevealClosed(uint256 taskId);
    /// @notice The node has no commitment in the task.
    error TaskManagerNoCommitment(uint256 taskId, address node);
    /// @notice The commitment was displaced (its seat lost): it cannot be revealed, claimed or liquidated.
    error TaskManagerCommitmentVoided(uint256 taskId, address node);
    /// @notice The node's commitment is already revealed.
    error TaskManagerAlreadyRevealed(uint256 taskId, address node);
    /// @notice A zero output hash is not a hash: refused at reveal (v4, §4.7).
    error TaskManagerZeroOutputHash(uint256 taskId, address node);
    /// @notice claimBatch's taskIds and nodes differ in length.
    error TaskManagerLengthMismatch(uint256 taskIds, uint256 nodes);
    /// @notice keccak256(abi.encode(taskId, node, outputHash, salt)) is not the commitment.
    error TaskManagerWrongReveal(uint256 taskId, address node);
    /// @notice The node has no share in the task.
    error TaskManagerNothingToClaim(uint256 taskId, address node);
    /// @notice The bond can still be taken by a liquidation.
    error TaskManagerBondAtRisk(uint256 taskId, address node);
    /// @notice The bond was already released (or taken).
    error TaskManagerBondReleased(uint256 taskId, address node);
    /// @notice A node may not liquidate itself.
    error TaskManagerSelfLiquidation(uint256 taskId, address node);
    /// @notice The node was already liquidated in the task.
    error TaskManagerAlreadyLiquidated(uint256 taskId, address node);
    /// @notice Nothing in the task makes the node liquidatable.
    error TaskManagerNotLiquidatable(uint256 taskId, address node);
    /// @notice A signed commitment names a place (1 seat, 2 verifier, 3 juror) other than the one the commit takes.
    error TaskManagerWrongPlace(uint256 taskId, address node, uint8 place);
    /// @notice A seed kind outside 1..3.
    error TaskManagerUnknownSeedKind(uint8 kind);
    /// @notice The account has no credit.
    error TaskManagerNothingToWithdraw(address account);
    /// @notice deliver needs a Finalized task.
    error TaskManagerNotFinalized(uint256 taskId);
    /// @notice The result was already delivered.
    error TaskManagerAlreadyDelivered(uint256 taskId);
    /// @notice keccak256(output) is not the accepted output hash.
    error TaskManagerWrongOutput(uint256 taskId, bytes32 outputHash);
    /// @notice Too little gas left to give the callback its whole limit (63/64 rule).
    error TaskManagerInsufficientGas(uint256 needed, uint256 available);
    /// @notice The pool holds less than asked.
    error TaskManagerPoolInsufficient(uint256 requested, uint256 pool);

    // ------------------------------------------------------------------ lifecycle
    /// @notice Escrow `req.reward` and open a task (ids start at 1). Emits TaskCreated.
    function createTask(TaskRequest calldata req) external returns (uint256 taskId);
    /// @notice createTask after an EIP-2612 permit (tried; a front-run permit does not block it).
    function createTaskWithPermit(TaskRequest calldata req, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 taskId);
    /// @notice The requester takes the escrow back: after the seat window, nothing committed, not disputed.
    function cancel(uint256 taskId) external;
    /// @notice Commit msg.sender's sealed result in the place it may take now. Emits Committed.
    function commit(uint256 taskId, bytes32 commitment, bytes calldata sealedOutput) external;
    /// @notice Commit for `c.node` with its EIP-712 signature.
    function commitWithSig(SignedCommit calldata c) external;
    /// @notice Commit many signed commitments; a failing entry emits CommitSkipped and never sinks the batch.
    function commitBatch(SignedCommit[] calldata cs) external;
    /// @notice Draw the sampled verifiers (fixes vSeed from the next block).
    function drawVerifiers(uint256 taskId) external;
    /// @notice Store a known seed (kind 3: kind 2 first), or re-anchor a lost one to this block (PROTOCOL.md §4.1);
    ///         a no-op when stored, not yet known or not asked for. Reverts for an unknown task or kind.
    function fixSeed(uint256 taskId, uint8 kind) external;
    /// @notice Dispute (requester or disputer), escrowing a bond equal to the reward; draws the jury.
    function dispute(uint256 taskId) external;
    /// @notice Reveal a node's commitment (anyone).
    function reveal(uint256 taskId, address node, bytes32 outputHash, bytes32 salt) external;
    /// @notice Reveal many (task, node) pairs; an entry already revealed is a no-op, any other failing entry emits
    ///         RevealSkipped and never sinks the batch.
    function revealBatch(Reveal[] calldata rs) external;
    /// @notice Apply the §5 rule and the §6 money (anyone, at or after revealDeadline).
    function finalize(uint256 taskId) external;
    /// @notice Slash a silent or wrong node, or an absent juror (anyone but the node).
    function liquidate(uint256 taskId, address node) external;
    /// @notice Credit msg.sender's share in the task and release its bond.
    function claim(uint256 taskId) external;
    /// @notice Claim for each (taskIds[i], nodes[i]) pair, crediting each node (never the caller); an entry with
    ///         nothing to claim is skipped silently. Reverts TaskManagerLengthMismatch.
    function claimBatch(uint256[] calldata taskIds, address[] calldata nodes) external;
    /// @notice Release a bond that is no longer at risk (anyone).
    function release(uint256 taskId, address node) external;
    /// @notice Pay msg.sender's credit.
    function withdraw() external;
    /// @notice Deliver the accepted output (anyone, once) and push it to the callback.
    function deliver(uint256 taskId, bytes calldata output) external;

    // ------------------------------------------------------------------ views
    function getTask(uint256 taskId) external view returns (Task memory);
    function statusOf(uint256 taskId) external view returns (TaskStatus);
    function creditOf(address account) external view returns (uint256);
    function verificationPool() external view returns (uint256);
    function isEligible(uint256 taskId, address node) external view returns (bool seat, bool verifier, bool juror);
    function rankOf(uint256 taskId, address node) external view returns (uint256);
    function commitmentOf(uint256 taskId, address node) external view returns (Commitment memory);
    function tallyOf(uint256 taskId, bytes32 outputHash) external view returns (HashTally memory);
    function isLiquidatable(uint256 taskId, address node) external view returns (bool);
    /// @notice The node's reputation counters (PROTOCOL.md §4.13).
    function reputationOf(address node) external view returns (Reputation memory);
    function taskCount() external view returns (uint256);
    function commitDigest(uint256 taskId, uint8 place, bytes32 commitment, bytes32 sealedOutputHash, uint256 deadline)
        external
        view
        returns (bytes32);
    function saltDigest(uint256 taskId) external view returns (bytes32);
    function treasury() external view returns (address);
    function token() external view returns (address);
    function staking() external view returns (address);
    function registry() external view returns (address);

    // ------------------------------------------------------------------ parameters (PROTOCOL.md §3)
    function seatWindow() external view returns (uint256);
    function verifyWindow() external view returns (uint256);
    function disputeWindow() external view returns (uint256);
    function commitWindow() external view returns (uint256);
    function jurySize() external view returns (uint256);
    function revealWindow() external view returns (uint256);
    function seatStep() external view returns (uint256);
    function seatFactor() external view returns (uint256);
    function expectedVerifiers() external view returns (uint256);
    function minCommitBond() external view returns (uint256);
    function bondMultiplier() external view returns (uint256);
    function slashBps() external view returns (uint256);
    function noRevealSlashBps() external view returns (uint256);
    function liquidatorBountyBps() external view returns (uint256);
    function verifierFeeBps() external view returns (uint256);
    function maxRedundancy() external view returns (uint256);
    function maxCallbackGas() external view returns (uint256);
    function minReward() external view returns (uint256);
    function liquidationWindow() external view returns (uint256);

    function setSeatWindow(uint256 value) external;
    function setVerifyWindow(uint256 value) external;
    function setDisputeWindow(uint256 value) external;
    function setCommitWindow(uint256 value) external;
    function setJurySize(uint256 value) external;
    function setRevealWindow(uint256 value) external;
    function setSeatStep(uint256 value) external;
    function setSeatFactor(uint256 value) external;
    function setExpectedVerifiers(uint256 value) external;
    function setMinCommitBond(uint256 value) external;
    function setBondMultiplier(uint256 value) external;
    function setSlashBps(uint256 value) external;
    function setNoRevealSlashBps(uint256 value) external;
    function setLiquidatorBountyBps(uint256 value) external;
    function setVerifierFeeBps(uint256 value) external;
    function setMaxRedundancy(uint256 value) external;
    function setMaxCallbackGas(uint256 value) external;
    function setMinReward(uint256 value) external;
    function setLiquidationWindow(uint256 value) external;

    /// @notice Anyone may add OMNIT to the verification pool.
    function fundPool(uint256 amount) external;
    /// @notice Owner: spend the pool on verification work (e.g. known-answer tasks), as a credit to `to`.
    function spendPool(address to, uint256 amount) external;
}
