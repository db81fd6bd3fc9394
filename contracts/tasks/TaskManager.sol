// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {
    Task,
    TaskData,
    TallyData,
    CommitData,
    RepData,
    TaskRequest,
    SignedCommit,
    TaskStatus,
    TaskState,
    Params,
    Commitment,
    HashTally,
    Reveal,
    Reputation,
    PLACE_JUROR
} from "../types/TaskTypes.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {INodeStaking} from "../interfaces/INodeStaking.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {TaskLifecycle} from "./TaskLifecycle.sol";
import {TaskCommits} from "./TaskCommits.sol";
import {TaskSettlement} from "./TaskSettlement.sol";
import {TaskParams} from "./TaskParams.sol";
import {TaskStore} from "./TaskStore.sol";

/// @title TaskManager
/// @notice The OmniTensor task contract (PROTOCOL.md §4–§6, §9): escrow, sortition, sealed commitments, reveals,
///         the consensus rule, liquidation, the verification pool, pull payments and consumer callbacks.
/// @dev A thin entry contract: the lifecycle steps live in three linked external libraries over one storage
///      struct (`TaskLifecycle`, `TaskCommits`, `TaskSettlement`) so that every contract fits EIP-170; the parameters
///      live in the abstract base `TaskParams`. Token transfers, signatures and the callback stay here.
///      Deviations from PROTOCOL.md: docs/protocol.md.
contract TaskManager is TaskParams, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants
    /// @notice EIP-712 type of a signed commitment.
    bytes32 public constant COMMIT_TYPEHASH =
        keccak256("Commit(uint256 taskId,uint8 place,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)");
    /// @notice EIP-712 type of the off-chain salt message (§7).
    bytes32 public constant SALT_TYPEHASH = keccak256("Salt(uint256 taskId)");
    /// @dev Gas kept back when checking that the callback gets its whole limit: the CALL itself and the code after it.
    uint256 private constant CALLBACK_RESERVE = 20_000;
    /// @dev At most this many bytes of a failing consumer's revert data are copied (no return bomb).
    uint256 private constant MAX_REASON = 256;

    // ------------------------------------------------------------------ storage
    IERC20 private immutable _token;
    INodeStaking private immutable _staking;
    IModelRegistry private immutable _registry;
    address private immutable _treasury;
    TaskState private _s;

    // ------------------------------------------------------------------ constructor
    /// @param token_ OMNIT; @param staking_ NodeStaking; @param registry_ ModelRegistry;
    /// @param treasury_ the protocol treasury (informational); @param initialOwner the first owner (admin, later a timelock)
    constructor(address token_, address staking_, address registry_, address treasury_, address initialOwner)
        Ownable(initialOwner)
        EIP712("OmniTensor TaskManager", "1")
    {
        if (token_ == address(0)) revert TaskManagerZeroAddress("token");
        if (staking_ == address(0)) revert TaskManagerZeroAddress("staking");
        if (registry_ == address(0)) revert TaskManagerZeroAddress("registry");
        if (treasury_ == address(0)) revert TaskManagerZeroAddress("treasury");
        _token = IERC20(token_);
        _staking = INodeStaking(staking_);
        _registry = IModelRegistry(registry_);
        _treasury = treasury_;
        _s.paramSets[0] = _defaultParams();
    }

    // ------------------------------------------------------------------ external: lifecycle

    /// @inheritdoc ITaskManager
    /// @dev Anyone. Pulls `req.reward` with transferFrom. Emits TaskCreated. Reverts TaskManagerInvalidRequest(field).
    function createTask(TaskRequest calldata req) external nonReentrant returns (uint256 taskId) {
        return _create(req);
    }

    /// @inheritdoc ITaskManager
    /// @dev The permit is tried and its failure ignored; transferFrom then needs the allowance, however it was set.
    function createTaskWithPermit(TaskRequest calldata req, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        nonReentrant
        returns (uint256 taskId)
    {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), req.reward, deadline, v, r, s) {}
            catch {}
        return _create(req);
    }

    /// @inheritdoc ITaskManager
    /// @dev Requester only; transfers the escrow back at once. Emits TaskCancelled.
    function cancel(uint256 taskId) external nonReentrant {
        (address requester, uint256 refund) = TaskLifecycle.cancel(_s, taskId);
        _token.safeTransfer(requester, refund);
    }

    /// @inheritdoc ITaskManager
    /// @dev msg.sender is the node. Locks the task's bond in NodeStaking. Emits Committed (and SeatLost/BondReleased
    ///      when it displaces a seat holder, SeedFixed when it stores a seed).
    function commit(uint256 taskId, bytes32 commitment, bytes calldata sealedOutput) external {
        TaskCommits.commit(_s, _staking, taskId, msg.sender, 0, commitment, sealedOutput);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone relays; the EIP-712 signer must be `c.node` and `block.timestamp <= c.deadline`
    ///      (TaskManagerInvalidSigner, TaskManagerSignatureExpired). The signature covers keccak256(sealedOutput) and
    ///      the place: a commit that would take another place, or a place outside 1..3, reverts TaskManagerWrongPlace.
    function commitWithSig(SignedCommit calldata c) external {
        _checkSignature(c);
        TaskCommits.commit(_s, _staking, c.taskId, c.node, c.place, c.commitment, c.sealedOutput);
    }

    /// @inheritdoc ITaskManager
    /// @dev An entry whose node already holds a commitment in the task is a silent no-op; any other failing entry
    ///      emits CommitSkipped(taskId, node, revert data). Each entry runs as a self-call of commitWithSig.
    function commitBatch(SignedCommit[] calldata cs) external {
        uint256 len = cs.length;
        for (uint256 i = 0; i < len; ++i) {
            SignedCommit calldata c = cs[i];
            if (_s.commits[c.taskId][c.node].commitment != bytes32(0)) continue;
            try this.commitWithSig(c) {}
            catch (bytes memory reason) {
                emit CommitSkipped(c.taskId, c.node, reason);
            }
        }
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone, once, in [seatDeadline, verifyDeadline), after a seat commit. Emits VerifiersDrawn.
    function drawVerifiers(uint256 taskId) external {
        TaskLifecycle.drawVerifiers(_s, taskId);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone. Emits SeedFixed when it stores a seed, SeedRequested when it re-anchors a lost one.
    function fixSeed(uint256 taskId, uint8 kind) external {
        TaskLifecycle.fixSeed(_s, taskId, kind);
    }

    /// @inheritdoc ITaskManager
    /// @dev Requester or disputer; pulls a bond equal to the reward. Emits TaskDisputed (and VerifiersDrawn).
    function dispute(uint256 taskId) external nonReentrant {
        uint256 bond = TaskLifecycle.dispute(_s, taskId);
        _token.safeTransferFrom(msg.sender, address(this), bond);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone, in [createdAt + commitWindow, revealDeadline). Emits Revealed.
    function reveal(uint256 taskId, address node, bytes32 outputHash, bytes32 salt) external {
        TaskCommits.reveal(_s, taskId, node, outputHash, salt);
    }

    /// @inheritdoc ITaskManager
    /// @dev An entry whose node's commitment is already revealed (a duplicate included) is a silent no-op; any other
    ///      failing entry emits RevealSkipped(taskId, node, revert data). Each entry runs as a self-call of reveal.
    function revealBatch(Reveal[] calldata rs) external {
        uint256 len = rs.length;
        for (uint256 i = 0; i < len; ++i) {
            Reveal calldata r = rs[i];
            if (_s.commits[r.taskId][r.node].revealed) continue;
            try this.reveal(r.taskId, r.node, r.outputHash, r.salt) {}
            catch (bytes memory reason) {
                emit RevealSkipped(r.taskId, r.node, reason);
            }
        }
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone, once, at or after revealDeadline. Every payout becomes a credit. Emits TaskFinalized or
    ///      TaskUnresolved.
    function finalize(uint256 taskId) external nonReentrant {
        TaskSettlement.finalize(_s, taskId);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone but `node`, once per (task, node), after finalize and before revealDeadline + liquidationWindow.
    ///      NodeStaking.slash sends the amount here.
    ///      Emits Liquidated.
    function liquidate(uint256 taskId, address node) external nonReentrant {
        TaskSettlement.liquidate(_s, _staking, taskId, node);
    }

    /// @inheritdoc ITaskManager
    /// @dev The node itself, after finalize; repeatable. Emits Claimed (and BondReleased the first time).
    function claim(uint256 taskId) external nonReentrant {
        TaskSettlement.claim(_s, _staking, taskId, msg.sender);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone; credits nodes[i], never msg.sender. Skipped entries emit nothing. Emits Claimed/BondReleased per
    ///      entry claimed. Reverts TaskManagerLengthMismatch.
    function claimBatch(uint256[] calldata taskIds, address[] calldata nodes) external nonReentrant {
        TaskSettlement.claimBatch(_s, _staking, taskIds, nodes);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone, after finalize, once the bond is not at risk. Emits BondReleased.
    function release(uint256 taskId, address node) external nonReentrant {
        TaskSettlement.release(_s, _staking, taskId, node);
    }

    /// @inheritdoc ITaskManager
    /// @dev Pull payment of msg.sender's whole credit. Emits Withdrawn. Reverts TaskManagerNothingToWithdraw.
    ///      The slot keeps 1 (credit + 1 = 1: nothing owed), so that the next credit updates a non-zero slot.
    function withdraw() external nonReentrant {
        uint256 stored = _s.credits[msg.sender];
        if (stored <= 1) revert TaskManagerNothingToWithdraw(msg.sender);
        uint256 amount = stored - 1;
        _s.credits[msg.sender] = 1;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone, once, on a Finalized task, with keccak256(output) == acceptedOutputHash. Marks the task
    ///      delivered and emits ResultDelivered, then calls the callback with exactly callbackGasLimit gas
    ///      (reverting with TaskManagerInsufficientGas unless the 63/64 rule leaves it that much). A callback with
    ///      no code, or one that fails, emits CallbackFailed with at most 256 bytes of its revert data.
    function deliver(uint256 taskId, bytes calldata output) external nonReentrant {
        TaskData storage t = _s.tasks[taskId];
        if (t.status != TaskStatus.Finalized) revert TaskManagerNotFinalized(taskId);
        if (t.delivered) revert TaskManagerAlreadyDelivered(taskId);
        bytes32 h = keccak256(output);
        // Finalized: the leader is the accepted output hash.
        if (h != _s.hashes[taskId][t.leaderId]) revert TaskManagerWrongOutput(taskId, h);
        t.delivered = true;
        emit ResultDelivered(taskId, output);

        address callback = t.callback;
        if (callback == address(0)) return;
        if (callback.code.length == 0) {
            emit CallbackFailed(taskId, "");
            return;
        }
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInferenceResult, (taskId, output));
        (bool ok, bytes memory reason) = _callWithExactGas(callback, t.callbackGasLimit, data);
        if (!ok) emit CallbackFailed(taskId, reason);
    }

    /// @inheritdoc ITaskManager
    /// @dev Anyone; pulls `amount` with transferFrom. Emits PoolFunded.
    function fundPool(uint256 amount) external nonReentrant {
        _s.pool += amount;
        emit PoolFunded(msg.sender, amount);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc ITaskManager
    /// @dev Owner only; for verification work (known-answer tasks). Emits PoolSpent. Reverts TaskManagerPoolInsufficient.
    function spendPool(address to, uint256 amount) external onlyOwner {
        uint256 pool = _s.pool;
        if (amount > pool) revert TaskManagerPoolInsufficient(amount, pool);
        if (to == address(0)) revert TaskManagerZeroAddress("to");
        _s.pool = pool - amount;
        TaskStore.credit(_s, to, amount);
        emit PoolSpent(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ITaskManager
    /// @dev modelId, inputHash and resultKey are read by nobody on chain and are not stored: they are zero here,
    ///      and TaskCreated carries them (PROTOCOL.md §9, docs/dapp.md).
    function getTask(uint256 taskId) external view returns (Task memory t) {
        t = TaskLifecycle.toTask(_s, taskId);
        t.status = statusOf(taskId);
    }

    /// @inheritdoc ITaskManager
    function statusOf(uint256 taskId) public view returns (TaskStatus) {
        TaskData storage t = _s.tasks[taskId];
        TaskStatus st = t.status;
        if (st != TaskStatus.Seating) return st;
        if (block.timestamp < TaskStore.seatDeadline(_s, t)) return TaskStatus.Seating;
        if (block.timestamp < TaskStore.commitDeadline(_s, t)) return TaskStatus.Verifying;
        if (block.timestamp < TaskStore.revealDeadline(_s, t)) return TaskStatus.Revealing;
        return TaskStatus.AwaitingFinalize;
    }

    /// @inheritdoc ITaskManager
    function creditOf(address account) external view returns (uint256) {
        return TaskStore.creditOf(_s, account);
    }

    /// @inheritdoc ITaskManager
    function verificationPool() external view returns (uint256) {
        return _s.pool;
    }

    /// @inheritdoc ITaskManager
    function isEligible(uint256 taskId, address node) external view returns (bool seat, bool verifier, bool juror) {
        return TaskCommits.isEligible(_s, _staking, taskId, node);
    }

    /// @inheritdoc ITaskManager
    /// @dev uint256(keccak256(abi.encode(seatSeed, node, uint8(1)))) % C for a COMPUTE node that passes the clocks
    ///      of §4.1 (whatever the time); type(uint256).max for others, for unknown tasks and before the seed is known.
    function rankOf(uint256 taskId, address node) external view returns (uint256) {
        return TaskCommits.rankOf(_s, _staking, taskId, node);
    }

    /// @inheritdoc ITaskManager
    function commitmentOf(uint256 taskId, address node) external view returns (Commitment memory r) {
        CommitData storage c = _s.commits[taskId][node];
        (r.commitment, r.place, r.voided, r.revealed) = (c.commitment, c.place, c.voided, c.revealed);
        (r.validatorRole, r.claimed, r.bondReleased, r.claimedPerWinner) =
            (c.validatorRole, c.claimed, c.bondReleased, c.claimedPerWinner);
        if (c.revealed) r.outputHash = _s.hashes[taskId][c.hashId];
        if (c.place != 0) r.bond = uint128(TaskStore.bondOf(_s, _s.tasks[taskId], c)); // ≤ a stake < 2^128
    }

    /// @inheritdoc ITaskManager
    function tallyOf(uint256 taskId, bytes32 outputHash) external view returns (HashTally memory) {
        TallyData storage h = _s.tallies[taskId][outputHash];
        return HashTally({votes: h.votes, verifierVotes: h.verifierVotes, seatVotes: h.seatVotes});
    }

    /// @inheritdoc ITaskManager
    function isLiquidatable(uint256 taskId, address node) external view returns (bool) {
        return TaskSettlement.isLiquidatable(_s, _staking, taskId, node);
    }

    /// @inheritdoc ITaskManager
    function reputationOf(address node) external view returns (Reputation memory) {
        RepData storage r = _s.reputation[node];
        return Reputation(r.commitments, r.revealed, r.agreed, r.wrong, r.silent, r.earned);
    }

    /// @inheritdoc ITaskManager
    function taskCount() external view returns (uint256) {
        return _s.taskCount;
    }

    /// @inheritdoc ITaskManager
    function commitDigest(uint256 taskId, uint8 place, bytes32 commitment, bytes32 sealedOutputHash, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(COMMIT_TYPEHASH, taskId, place, commitment, sealedOutputHash, deadline))
        );
    }

    /// @inheritdoc ITaskManager
    function saltDigest(uint256 taskId) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SALT_TYPEHASH, taskId)));
    }

    /// @inheritdoc ITaskManager
    function treasury() external view returns (address) {
        return _treasury;
    }

    /// @inheritdoc ITaskManager
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc ITaskManager
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc ITaskManager
    function registry() external view returns (address) {
        return address(_registry);
    }

    // ------------------------------------------------------------------ internal

    /// @dev TaskParams' storage: inside `_s`, where the lifecycle libraries read the parameters.
    function _params() internal view override returns (Params storage) {
        return _s.paramSets[_s.paramsId];
    }

    /// @dev TaskParams' history: a new entry, a copy of the last one, in force from now on (reverts past 65,536
    ///      entries).
    function _nextParams() internal override returns (Params storage p) {
        uint16 id = _s.paramsId + 1;
        p = _s.paramSets[id];
        _s.paramSets[id] = _s.paramSets[id - 1];
        _s.paramsId = id;
    }

    /// @dev Open the task (TaskLifecycle) and pull its reward.
    function _create(TaskRequest calldata req) private returns (uint256 taskId) {
        taskId = TaskLifecycle.create(_s, _registry, _staking, req);
        _token.safeTransferFrom(msg.sender, address(this), req.reward);
    }

    /// @dev Reverts TaskManagerSignatureExpired, TaskManagerWrongPlace (a place outside 1..3) or
    ///      TaskManagerInvalidSigner.
    function _checkSignature(SignedCommit calldata c) private view {
        if (block.timestamp > c.deadline) revert TaskManagerSignatureExpired(c.deadline);
        if (c.place == 0 || c.place > PLACE_JUROR) revert TaskManagerWrongPlace(c.taskId, c.node, c.place);
        bytes32 digest = commitDigest(c.taskId, c.place, c.commitment, keccak256(c.sealedOutput), c.deadline);
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, c.signature);
        if (err != ECDSA.RecoverError.NoError || signer != c.node) revert TaskManagerInvalidSigner(c.node, signer);
    }

    /// @dev Call `to` with exactly `gasLimit` gas, copying at most MAX_REASON bytes of its return data.
    function _callWithExactGas(address to, uint256 gasLimit, bytes memory data)
        private
        returns (bool ok, bytes memory reason)
    {
        uint256 available = gasleft();
        // The callee gets min(gasLimit, 63/64 of what is left at the CALL): require that to be the whole limit.
        if (available < CALLBACK_RESERVE || ((available - CALLBACK_RESERVE) * 63) / 64 < gasLimit) {
            revert TaskManagerInsufficientGas(gasLimit + CALLBACK_RESERVE, available);
        }
        uint256 maxReason = MAX_REASON;
        assembly ("memory-safe") {
            ok := call(gasLimit, to, 0, add(data, 0x20), mload(data), 0, 0)
            let size := returndatasize()
            if gt(size, maxReason) { size := maxReason }
            reason := mload(0x40)
            mstore(reason, size)
            returndatacopy(add(reason, 0x20), 0, size)
            mstore(0x40, add(add(reason, 0x20), and(add(size, 31), not(31))))
        }
    }
}
