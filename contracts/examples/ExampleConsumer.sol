// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @title ExampleConsumer
/// @notice The smallest dApp that receives OmniTensor results: set it as a task's `callback`
///         (with a `callbackGasLimit` that pays for storing the output, about 25,000 gas plus
///         22,000 per 32 bytes), and `TaskManager.deliver` pushes the accepted canonical output
///         here. Only the TaskManager it was built for may call it; it keeps the last result.
/// @dev See docs/dapp.md. The output is the canonical JSON of PROTOCOL.md §7, whose keccak256 the
///      TaskManager has checked against the accepted output hash before the call.
contract ExampleConsumer is IInferenceConsumer {
    // ---- storage ----

    /// @notice The TaskManager allowed to deliver results.
    address public immutable taskManager;
    /// @notice The task of the last result received (0 before the first).
    uint256 public lastTaskId;
    /// @notice The last canonical output received.
    bytes public lastOutput;
    /// @notice How many results were received.
    uint256 public resultCount;

    // ---- events ----

    /// @notice A result arrived: `outputHash` is keccak256 of the canonical output.
    event ResultReceived(uint256 indexed taskId, bytes32 outputHash);

    // ---- errors ----

    /// @notice The constructor got the zero address for the TaskManager.
    error ExampleConsumerZeroTaskManager();
    /// @notice `caller` is not the TaskManager.
    error ExampleConsumerNotTaskManager(address caller);

    // ---- constructor ----

    /// @param taskManager_ the TaskManager whose deliveries this contract accepts.
    constructor(address taskManager_) {
        if (taskManager_ == address(0)) revert ExampleConsumerZeroTaskManager();
        taskManager = taskManager_;
    }

    // ---- external ----

    /// @notice Receives an accepted result. Only the TaskManager may call it; reverts with
    ///         `ExampleConsumerNotTaskManager(caller)` otherwise. Emits `ResultReceived`.
    /// @param taskId the task whose result this is.
    /// @param output the canonical output bytes (UTF-8 JSON).
    function onInferenceResult(uint256 taskId, bytes calldata output) external override {
        if (msg.sender != taskManager) revert ExampleConsumerNotTaskManager(msg.sender);
        lastTaskId = taskId;
        lastOutput = output;
        unchecked {
            // cannot overflow: one increment per delivered task, and task ids are uint256 counted from 1
            ++resultCount;
        }
        emit ResultReceived(taskId, keccak256(output));
    }
}
