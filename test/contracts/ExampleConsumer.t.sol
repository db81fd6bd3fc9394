// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ExampleConsumer} from "../../contracts/examples/ExampleConsumer.sol";
import {IInferenceConsumer} from "../../contracts/interfaces/IInferenceConsumer.sol";

contract ExampleConsumerTest is Test {
    event ResultReceived(uint256 indexed taskId, bytes32 outputHash);

    address internal constant TASK_MANAGER = address(0x7A5C);
    ExampleConsumer internal consumer;

    function setUp() public {
        consumer = new ExampleConsumer(TASK_MANAGER);
    }

    function test_constructor_revertsOnZeroTaskManager() public {
        vm.expectRevert(ExampleConsumer.ExampleConsumerZeroTaskManager.selector);
        new ExampleConsumer(address(0));
    }

    function test_onInferenceResult_storesTheResult() public {
        bytes memory out = bytes('{"outputs":[{"name":"label","dims":[1],"data":[3]}]}');
        vm.expectEmit(true, false, false, true, address(consumer));
        emit ResultReceived(7, keccak256(out));
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(7, out);
        assertEq(consumer.lastTaskId(), 7);
        assertEq(consumer.lastOutput(), out);
        assertEq(consumer.resultCount(), 1);
    }

    function test_onInferenceResult_keepsTheLastOfSeveral() public {
        vm.startPrank(TASK_MANAGER);
        consumer.onInferenceResult(1, bytes('{"error":"FRAGILE"}'));
        consumer.onInferenceResult(2, bytes('{"error":"INVALID_INPUT"}'));
        vm.stopPrank();
        assertEq(consumer.lastTaskId(), 2);
        assertEq(consumer.lastOutput(), bytes('{"error":"INVALID_INPUT"}'));
        assertEq(consumer.resultCount(), 2);
    }

    function test_onInferenceResult_revertsForOtherCallers() public {
        address stranger = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerNotTaskManager.selector, stranger));
        vm.prank(stranger);
        consumer.onInferenceResult(1, "x");
        assertEq(consumer.resultCount(), 0);
        assertEq(consumer.lastOutput().length, 0);
    }

    function test_onInferenceResult_fitsTheDocumentedGas() public {
        // docs: about 25,000 gas plus 22,000 per 32 bytes of output (fresh storage, the worst case)
        bytes memory out = new bytes(256);
        vm.prank(TASK_MANAGER);
        uint256 before = gasleft();
        IInferenceConsumer(address(consumer)).onInferenceResult(1, out);
        uint256 used = before - gasleft();
        assertLe(used, 25_000 + 22_000 * 8 + 22_000, "gas above the documented budget");
    }

    function testFuzz_onInferenceResult_storesAnyOutput(uint256 taskId, bytes calldata output) public {
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(taskId, output);
        assertEq(consumer.lastTaskId(), taskId);
        assertEq(keccak256(consumer.lastOutput()), keccak256(output));
    }

    function testFuzz_onInferenceResult_onlyTaskManager(address caller) public {
        vm.assume(caller != TASK_MANAGER);
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerNotTaskManager.selector, caller));
        vm.prank(caller);
        consumer.onInferenceResult(1, "x");
    }
}
