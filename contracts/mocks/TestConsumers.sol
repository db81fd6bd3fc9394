// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";

// Test-only consumers of TaskManager.deliver (PROTOCOL.md §4.11). Never deploy these.

/// @notice Records what it receives and the gas it was given.
contract RecordingConsumer is IInferenceConsumer {
    uint256 public lastTaskId;
    bytes public lastOutput;
    uint256 public gasAtEntry;
    uint256 public calls;

    function onInferenceResult(uint256 taskId, bytes calldata output) external {
        gasAtEntry = gasleft();
        lastTaskId = taskId;
        lastOutput = output;
        ++calls;
    }
}

/// @notice Reverts with a custom error.
contract RevertingConsumer is IInferenceConsumer {
    error RevertingConsumerNo(uint256 taskId);

    function onInferenceResult(uint256 taskId, bytes calldata) external pure {
        revert RevertingConsumerNo(taskId);
    }
}

/// @notice Reverts with 100 kB of revert data: the caller must copy at most 256 bytes.
contract ReturnBombConsumer is IInferenceConsumer {
    function onInferenceResult(uint256, bytes calldata) external pure {
        assembly ("memory-safe") {
            revert(0, 100000)
        }
    }
}

/// @notice Burns every unit of gas it is given.
contract GasGuzzlerConsumer is IInferenceConsumer {
    uint256 public sink;

    function onInferenceResult(uint256, bytes calldata) external {
        while (true) {
            ++sink;
        }
    }
}

/// @notice Re-enters TaskManager from the callback (deliver, claim or withdraw) and reverts with what it got.
contract ReentrantConsumer is IInferenceConsumer {
    ITaskManager public immutable tm;
    uint8 public mode; // 1 deliver, 2 claim, 3 withdraw
    bytes public output;

    constructor(ITaskManager tm_) {
        tm = tm_;
    }

    function arm(uint8 mode_, bytes calldata output_) external {
        mode = mode_;
        output = output_;
    }

    function onInferenceResult(uint256 taskId, bytes calldata) external {
        if (mode == 1) tm.deliver(taskId, output);
        else if (mode == 2) tm.claim(taskId);
        else if (mode == 3) tm.withdraw();
    }
}
