// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IInferenceConsumer
/// @notice A dApp that wants the accepted result pushed to it by `TaskManager.deliver`.
interface IInferenceConsumer {
    function onInferenceResult(uint256 taskId, bytes calldata output) external;
}
