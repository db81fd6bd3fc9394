// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test, stdStorage, StdStorage} from "forge-std/Test.sol";
import {ExampleConsumer} from "../../contracts/examples/ExampleConsumer.sol";
import {IInferenceConsumer} from "../../contracts/interfaces/IInferenceConsumer.sol";
import {TaskManagerBase} from "./base/TaskManagerBase.t.sol";
import {Task, TaskStatus, TaskRequest} from "../../contracts/types/TaskTypes.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";

contract ExampleConsumerTest is Test {
    using stdStorage for StdStorage;

    event ResultReceived(uint256 indexed taskId, bytes32 outputHash);

    address internal constant TASK_MANAGER = address(0x7A5C);
    ExampleConsumer internal consumer;

    function setUp() public {
        consumer = new ExampleConsumer(TASK_MANAGER);
    }

    /// @dev Marks `taskId` as opened by the consumer (what requestInference records), without a TaskManager.
    function _opened(uint256 taskId) internal {
        stdstore.target(address(consumer)).sig(consumer.requested.selector).with_key(taskId).checked_write(true);
        assertTrue(consumer.requested(taskId));
    }

    function test_constructor_revertsOnZeroTaskManager() public {
        vm.expectRevert(ExampleConsumer.ExampleConsumerZeroTaskManager.selector);
        new ExampleConsumer(address(0));
    }

    function test_onInferenceResult_storesTheResult() public {
        bytes memory out = bytes('{"outputs":[{"name":"label","dims":[1],"data":[3]}]}');
        _opened(7);
        vm.expectEmit(true, false, false, true, address(consumer));
        emit ResultReceived(7, keccak256(out));
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(7, out);
        assertEq(consumer.lastTaskId(), 7);
        assertEq(consumer.lastOutput(), out);
        assertEq(consumer.resultCount(), 1);
        assertFalse(consumer.requested(7), "the record is deleted");
    }

    function test_onInferenceResult_keepsTheLastOfSeveral() public {
        _opened(1);
        _opened(2);
        vm.startPrank(TASK_MANAGER);
        consumer.onInferenceResult(1, bytes('{"error":"FRAGILE"}'));
        consumer.onInferenceResult(2, bytes('{"error":"INVALID_INPUT"}'));
        vm.stopPrank();
        assertEq(consumer.lastTaskId(), 2);
        assertEq(consumer.lastOutput(), bytes('{"error":"INVALID_INPUT"}'));
        assertEq(consumer.resultCount(), 2);
    }

    /// @dev Audit M-2: the TaskManager delivers results of any task whose callback is this contract.
    function test_onInferenceResult_revertsForATaskItDidNotOpen() public {
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerUnknownTask.selector, 9));
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(9, "x");
        assertEq(consumer.resultCount(), 0);
        assertEq(consumer.lastTaskId(), 0);
    }

    function test_onInferenceResult_acceptsOneResultPerTask() public {
        _opened(4);
        vm.startPrank(TASK_MANAGER);
        consumer.onInferenceResult(4, "first");
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerUnknownTask.selector, 4));
        consumer.onInferenceResult(4, "second");
        vm.stopPrank();
        assertEq(consumer.lastOutput(), bytes("first"));
        assertEq(consumer.resultCount(), 1);
    }

    function test_onInferenceResult_revertsForOtherCallers() public {
        _opened(1);
        address stranger = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerNotTaskManager.selector, stranger));
        vm.prank(stranger);
        consumer.onInferenceResult(1, "x");
        assertEq(consumer.resultCount(), 0);
        assertEq(consumer.lastOutput().length, 0);
    }

    function test_requestInference_revertsForOthers() public {
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerNotOwner.selector, address(0xBEEF)));
        vm.prank(address(0xBEEF));
        consumer.requestInference(bytes32(0), "", 1, 1, bytes32(0), 1);
    }

    function test_onInferenceResult_fitsTheDocumentedGas() public {
        // docs: about 25,000 gas plus 22,000 per 32 bytes of output (fresh storage, the worst case)
        bytes memory out = new bytes(256);
        _opened(1);
        vm.prank(TASK_MANAGER);
        uint256 before = gasleft();
        IInferenceConsumer(address(consumer)).onInferenceResult(1, out);
        uint256 used = before - gasleft();
        assertLe(used, 25_000 + 22_000 * 8 + 22_000, "gas above the documented budget");
    }

    function testFuzz_onInferenceResult_storesAnyOutput(uint256 taskId, bytes calldata output) public {
        _opened(taskId);
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(taskId, output);
        assertEq(consumer.lastTaskId(), taskId);
        assertEq(keccak256(consumer.lastOutput()), keccak256(output));
    }

    function testFuzz_onInferenceResult_onlyOpenedTasks(uint256 opened, uint256 other) public {
        vm.assume(opened != other);
        _opened(opened);
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerUnknownTask.selector, other));
        vm.prank(TASK_MANAGER);
        consumer.onInferenceResult(other, "x");
        assertTrue(consumer.requested(opened));
    }

    function testFuzz_onInferenceResult_onlyTaskManager(address caller) public {
        vm.assume(caller != TASK_MANAGER);
        _opened(1);
        vm.expectRevert(abi.encodeWithSelector(ExampleConsumer.ExampleConsumerNotTaskManager.selector, caller));
        vm.prank(caller);
        consumer.onInferenceResult(1, "x");
    }
}

/// @notice ExampleConsumer against the real contracts: it opens a task from Solidity, the TaskManager
///         delivers the accepted output to it, and refunds of an Unresolved task come back to its owner.
contract ExampleConsumerLifecycleTest is TaskManagerBase {
    ExampleConsumer internal consumer;
    bytes internal constant OUTPUT = bytes('{"outputs":[{"name":"label","dims":[1],"data":[2]}]}');
    bytes32 internal constant RESULT_KEY = keccak256("owner x25519 public key");

    function setUp() public override {
        super.setUp();
        _stakeNodes(1, 0);
        consumer = new ExampleConsumer(address(tm)); // this test contract is the owner
        _fund(address(this));
        token.approve(address(consumer), type(uint256).max);
    }

    function _request(uint256 reward) internal returns (uint256 taskId) {
        taskId = consumer.requestInference(modelId, INPUT, reward, 1, RESULT_KEY, 300_000);
        _roll(2);
    }

    function test_requestInference_opensATaskWithThisContractAsCallback() public {
        uint256 before = token.balanceOf(address(tm));
        uint256 taskId = _request(REWARD);
        Task memory t = tm.getTask(taskId);
        assertEq(t.requester, address(consumer));
        assertEq(t.callback, address(consumer));
        assertEq(t.callbackGasLimit, 300_000);
        assertEq(t.disputer, address(this), "the owner may dispute");
        // resultKey and inputHash live in TaskCreated only (PROTOCOL.md §9): getTask returns zero for them.
        assertEq(t.resultKey, bytes32(0));
        assertEq(t.inputHash, bytes32(0));
        assertEq(token.balanceOf(address(tm)) - before, REWARD, "reward escrowed");
        assertEq(token.balanceOf(address(consumer)), 0, "nothing left behind");
        assertTrue(consumer.requested(taskId), "the task is recorded");
    }

    function test_lifecycle_deliversTheAcceptedOutputToTheConsumer() public {
        uint256 taskId = _request(REWARD);
        address node = computes[0];
        _commit(taskId, node, keccak256(OUTPUT));
        _toCommitEnd(taskId);
        _reveal(taskId, node, keccak256(OUTPUT));
        _toRevealEnd(taskId);
        tm.finalize(taskId);
        assertEq(uint8(tm.statusOf(taskId)), uint8(TaskStatus.Finalized));
        tm.deliver(taskId, OUTPUT);
        assertEq(consumer.lastTaskId(), taskId);
        assertEq(consumer.lastOutput(), OUTPUT);
        assertEq(consumer.resultCount(), 1);
        assertFalse(consumer.requested(taskId), "the record is deleted");
    }

    /// @dev Regression of the audit's M-2 (PoC test_poc_M4_exampleConsumerAcceptsAForeignTasksResult), with the
    ///      opposite assertions: a stranger's task with `callback = consumer` is computed, finalized and delivered,
    ///      and the consumer refuses it (the TaskManager emits CallbackFailed) and stores nothing.
    function test_M2_aForeignTasksResultIsRefused() public {
        bytes memory foreign = bytes('{"outputs":[{"name":"label","dims":[1],"data":[666]}]}');
        _fund(stranger);
        TaskRequest memory req = _request(REWARD, 1);
        req.input = bytes('{"inputs":{"x":{"type":"float32","dims":[1],"data":[666]}}}');
        req.callback = address(consumer);
        req.callbackGasLimit = 300_000;
        vm.prank(stranger);
        uint256 id = tm.createTask(req);
        _roll(2);
        address node = computes[0];
        _commit(id, node, keccak256(foreign));
        _toCommitEnd(id);
        _reveal(id, node, keccak256(foreign));
        _toRevealEnd(id);
        tm.finalize(id);
        assertFalse(consumer.requested(id));

        vm.expectEmit(true, true, true, true, address(tm));
        emit ITaskManager.CallbackFailed(
            id, abi.encodeWithSelector(ExampleConsumer.ExampleConsumerUnknownTask.selector, id)
        );
        tm.deliver(id, foreign);
        assertEq(consumer.resultCount(), 0, "no result it never asked for");
        assertEq(consumer.lastTaskId(), 0);
        assertEq(consumer.lastOutput().length, 0);
        assertTrue(tm.getTask(id).delivered, "the task itself is not blocked");
    }

    function test_withdrawRefunds_returnsTheEscrowOfAnUnresolvedTask() public {
        uint256 taskId = _request(REWARD);
        _commit(taskId, computes[0], keccak256(OUTPUT)); // and never reveals
        _toRevealEnd(taskId);
        tm.finalize(taskId);
        assertEq(uint8(tm.statusOf(taskId)), uint8(TaskStatus.Unresolved));
        uint256 before = token.balanceOf(address(this));
        uint256 amount = consumer.withdrawRefunds();
        assertEq(amount, REWARD, "the whole escrow comes back");
        assertEq(token.balanceOf(address(this)) - before, REWARD);
        assertEq(consumer.withdrawRefunds(), 0, "nothing twice");
    }
}
