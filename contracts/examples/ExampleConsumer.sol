// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {TaskRequest} from "../types/TaskTypes.sol";

/// @title ExampleConsumer
/// @notice The smallest dApp that asks OmniTensor for inferences from Solidity and receives the
///         results: `requestInference` escrows the reward and opens a task whose `callback` is this
///         contract, and `TaskManager.deliver` later pushes the accepted canonical output to
///         `onInferenceResult`, which only that TaskManager may call, and only for a task that this
///         contract opened and whose result has not arrived yet. It keeps the last result.
/// @dev See docs/dapp.md. A contract cannot open sealed outputs, so the task's `resultKey` belongs to
///      an off-chain key holder (the owner's SDK), and the owner is the task's `disputer`. Give the
///      callback enough gas to store the output: about 25,000 gas plus 22,000 per 32 bytes. The
///      output is the canonical JSON of PROTOCOL.md §7, whose keccak256 the TaskManager checked.
///      Anyone can open a task with `callback = this contract` and any input, and anyone can `deliver`
///      it (audit M-2): checking `msg.sender` alone would let a stranger's task write this contract's
///      result. So `requestInference` records each task it opens in `requested`, and a result for any
///      other task reverts `ExampleConsumerUnknownTask(taskId)` (the TaskManager then emits
///      `CallbackFailed`; nothing is stored). The record is deleted when the result arrives.
contract ExampleConsumer is IInferenceConsumer {
    using SafeERC20 for IERC20;

    // ---- storage ----

    /// @notice The TaskManager allowed to deliver results.
    address public immutable taskManager;
    /// @notice Who may request inferences and receives refunds; the disputer of its tasks.
    address public immutable owner;
    /// @notice The task of the last result received (0 before the first).
    uint256 public lastTaskId;
    /// @notice The last canonical output received.
    bytes public lastOutput;
    /// @notice How many results were received.
    uint256 public resultCount;
    /// @notice Whether `taskId` was opened by this contract and its result has not arrived yet.
    mapping(uint256 taskId => bool) public requested;

    // ---- events ----

    /// @notice A task was opened by this contract.
    event InferenceRequested(uint256 indexed taskId, bytes32 indexed modelId, uint256 reward);
    /// @notice A result arrived: `outputHash` is keccak256 of the canonical output.
    event ResultReceived(uint256 indexed taskId, bytes32 outputHash);

    // ---- errors ----

    /// @notice The constructor got the zero address for the TaskManager.
    error ExampleConsumerZeroTaskManager();
    /// @notice `caller` is not the TaskManager.
    error ExampleConsumerNotTaskManager(address caller);
    /// @notice `caller` is not the owner.
    error ExampleConsumerNotOwner(address caller);
    /// @notice A result for `taskId`, which this contract did not open (or whose result already arrived).
    error ExampleConsumerUnknownTask(uint256 taskId);

    // ---- constructor ----

    /// @param taskManager_ the TaskManager whose deliveries this contract accepts; the deployer is the owner.
    constructor(address taskManager_) {
        if (taskManager_ == address(0)) revert ExampleConsumerZeroTaskManager();
        taskManager = taskManager_;
        owner = msg.sender;
    }

    // ---- external ----

    /// @notice Opens an inference task paid by the owner: pulls `reward` OMNIT from the owner (who
    ///         approved this contract), escrows it in the TaskManager, and sets this contract as the
    ///         callback and the owner as the disputer. Only the owner may call it; reverts with
    ///         `ExampleConsumerNotOwner(caller)` otherwise, and with the TaskManager's errors for a bad
    ///         request. Records the task in `requested`. Emits `InferenceRequested`.
    /// @param modelId the registered model.
    /// @param input the task input JSON (PROTOCOL.md §7), inline.
    /// @param reward the reward in OMNIT wei.
    /// @param redundancy the number of worker seats.
    /// @param resultKey the X25519 public key of the off-chain key holder that opens sealed outputs.
    /// @param callbackGasLimit the gas `onInferenceResult` gets.
    /// @return taskId the new task.
    function requestInference(
        bytes32 modelId,
        bytes calldata input,
        uint256 reward,
        uint8 redundancy,
        bytes32 resultKey,
        uint32 callbackGasLimit
    ) external returns (uint256 taskId) {
        if (msg.sender != owner) revert ExampleConsumerNotOwner(msg.sender);
        IERC20 token = IERC20(ITaskManager(taskManager).token());
        token.safeTransferFrom(msg.sender, address(this), reward);
        token.forceApprove(taskManager, reward);
        taskId = ITaskManager(taskManager).createTask(
            TaskRequest({
                modelId: modelId,
                input: input,
                inputURI: "",
                inputHash: bytes32(0),
                reward: reward,
                redundancy: redundancy,
                resultKey: resultKey,
                callback: address(this),
                callbackGasLimit: callbackGasLimit,
                disputer: owner
            })
        );
        requested[taskId] = true;
        emit InferenceRequested(taskId, modelId, reward);
    }

    /// @notice Receives an accepted result. Only the TaskManager may call it (else
    ///         `ExampleConsumerNotTaskManager(caller)`), and only for a task in `requested` (else
    ///         `ExampleConsumerUnknownTask(taskId)`: a stranger's task pointed at this contract, or a
    ///         second result); the record is deleted. Emits `ResultReceived`.
    /// @param taskId the task whose result this is.
    /// @param output the canonical output bytes (UTF-8 JSON).
    function onInferenceResult(uint256 taskId, bytes calldata output) external override {
        if (msg.sender != taskManager) revert ExampleConsumerNotTaskManager(msg.sender);
        if (!requested[taskId]) revert ExampleConsumerUnknownTask(taskId);
        delete requested[taskId];
        lastTaskId = taskId;
        lastOutput = output;
        unchecked {
            // cannot overflow: one increment per delivered task, at most 2^256 - 1 tasks
            ++resultCount;
        }
        emit ResultReceived(taskId, keccak256(output));
    }

    /// @notice Pulls this contract's credit from the TaskManager (refunds of Unresolved or unfilled
    ///         tasks, as the requester) and sends every OMNIT it holds to the owner. Anyone may call it.
    /// @return amount the OMNIT sent to the owner.
    function withdrawRefunds() external returns (uint256 amount) {
        ITaskManager tm = ITaskManager(taskManager);
        if (tm.creditOf(address(this)) > 0) tm.withdraw();
        IERC20 token = IERC20(tm.token());
        amount = token.balanceOf(address(this));
        if (amount > 0) token.safeTransfer(owner, amount);
    }
}
