// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "forge-std/Vm.sol";
import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task, TaskRequest, TaskStatus} from "../../contracts/types/TaskTypes.sol";

/// @notice Deployment, createTask (with and without a permit), cancel, statusOf and the EIP-170 sizes (PROTOCOL.md §4.1, §4.12).
contract TaskManagerCreateTest is TaskManagerUnitBase {
    function test_constructor_revertsOnZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroAddress.selector, "staking"));
        new TaskManager(address(token), address(0), address(registry), treasury, owner);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerZeroAddress.selector, "treasury"));
        new TaskManager(address(token), address(staking), address(registry), address(0), owner);
    }

    function test_digests_matchEip712() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("OmniTensor TaskManager"),
                keccak256("1"),
                block.chainid,
                address(tm)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "Commit(uint256 taskId,uint8 place,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)"
                ),
                7,
                uint8(2),
                bytes32(uint256(1)),
                bytes32(uint256(2)),
                3
            )
        );
        assertEq(tm.commitDigest(7, 2, bytes32(uint256(1)), bytes32(uint256(2)), 3), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        bytes32 saltHash = keccak256(abi.encode(keccak256("Salt(uint256 taskId)"), 7));
        assertEq(tm.saltDigest(7), keccak256(abi.encodePacked("\x19\x01", domain, saltHash)));
    }

    function test_createTask_escrowsAndStores() public {
        uint256 before = token.balanceOf(requester);
        TaskRequest memory req = _request(REWARD, 3);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskCreated(
            1,
            requester,
            modelId,
            INPUT,
            "",
            keccak256(INPUT),
            REWARD,
            3,
            req.resultKey,
            uint64(block.timestamp + 5 hours),
            uint64(block.timestamp + 24 hours)
        );
        vm.prank(requester);
        uint256 id = tm.createTask(req);
        assertEq(id, 1);
        assertEq(tm.taskCount(), 1);
        assertEq(token.balanceOf(requester), before - REWARD);
        assertEq(token.balanceOf(address(tm)), REWARD);
        Task memory t = _task(id);
        assertEq(t.requester, requester);
        // Read by nobody on chain: TaskCreated carries them (checked above), getTask returns zero (PROTOCOL.md §9).
        assertEq(t.modelId, bytes32(0));
        assertEq(t.inputHash, bytes32(0));
        assertEq(t.resultKey, bytes32(0));
        assertEq(t.reward, REWARD);
        assertEq(t.redundancy, 3);
        assertEq(t.createdAt, block.timestamp);
        assertEq(t.revealDeadline, block.timestamp + 24 hours);
        assertEq(t.computeCount, 5);
        assertEq(t.validatorCount, 3);
        assertEq(t.workerShare, W);
        assertEq(t.bond, BOND);
        assertEq(t.royaltyBps, ROYALTY_BPS);
        assertEq(t.modelOwner, modelOwner);
        assertEq(uint8(t.status), uint8(TaskStatus.Seating));
        assertEq(t.seatSeed, bytes32(0));
    }

    function test_createTask_byUri() public {
        TaskRequest memory req = _request(REWARD, 1);
        req.input = "";
        req.inputURI = "ipfs://input";
        req.inputHash = keccak256("remote");
        vm.recordLogs();
        uint256 id = _createTaskWith(req);
        // The stored hash travels in TaskCreated only (data: input, inputURI, inputHash, ...).
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 inputHash;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(tm) && logs[i].topics[0] == ITaskManager.TaskCreated.selector) {
                (,, inputHash) = abi.decode(logs[i].data, (bytes, string, bytes32));
            }
        }
        assertEq(inputHash, keccak256("remote"));
        assertEq(_task(id).inputHash, bytes32(0));
    }

    function test_createTask_revertsNamingTheField() public {
        TaskRequest memory req = _request(0.5 ether, 3);
        _createExpect(req, "reward");
        req = _request(REWARD, 0);
        _createExpect(req, "redundancy");
        req = _request(REWARD, 11);
        _createExpect(req, "redundancy");
        req = _request(REWARD, 3);
        req.callbackGasLimit = 2_000_001;
        _createExpect(req, "callbackGasLimit");
        req = _request(REWARD, 3);
        req.callback = address(0xBEEF);
        _createExpect(req, "callbackGasLimit");
        req = _request(REWARD, 3);
        req.inputHash = keccak256("other");
        _createExpect(req, "inputHash");
        req = _request(REWARD, 3);
        req.input = "";
        _createExpect(req, "inputURI");
        req.inputURI = "ipfs://x";
        _createExpect(req, "inputHash");
        req = _request(REWARD, 3);
        req.modelId = keccak256("no such model");
        _createExpect(req, "modelId");
        // the worker share must be > 0: 1 wei per seat after royalty and fee
        vm.prank(owner);
        tm.setMinReward(1);
        req = _request(2, 3);
        _createExpect(req, "reward");
    }

    function _createExpect(TaskRequest memory req, string memory field) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerInvalidRequest.selector, field));
        vm.prank(requester);
        tm.createTask(req);
    }

    function test_createTaskWithPermit_usesPermit() public {
        (address user, uint256 key) = makeAddrAndKey("permit-user");
        vm.prank(treasury);
        token.transfer(user, REWARD);
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _permitSig(user, key, REWARD, deadline);
        vm.prank(user);
        uint256 id = tm.createTaskWithPermit(_request(REWARD, 3), deadline, v, r, s);
        assertEq(_task(id).requester, user);
        assertEq(token.balanceOf(address(tm)), REWARD);
    }

    function _permitSig(address user, uint256 key, uint256 value, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                user,
                address(tm),
                value,
                token.nonces(user),
                deadline
            )
        );
        return vm.sign(key, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
    }

    function test_createTaskWithPermit_badPermitNeedsAllowance() public {
        address user = makeAddr("no-allowance");
        vm.prank(treasury);
        token.transfer(user, REWARD);
        vm.expectRevert(); // the permit fails silently; transferFrom then lacks the allowance
        vm.prank(user);
        tm.createTaskWithPermit(_request(REWARD, 3), block.timestamp, 27, bytes32(0), bytes32(0));
        vm.prank(user);
        token.approve(address(tm), REWARD);
        vm.prank(user);
        uint256 id = tm.createTaskWithPermit(_request(REWARD, 3), block.timestamp, 27, bytes32(0), bytes32(0));
        assertEq(_task(id).requester, user);
    }

    function test_cancel_rules() public {
        uint256 id = _createTask(REWARD, 3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotRequester.selector, id, stranger));
        vm.prank(stranger);
        tm.cancel(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerTooEarly.selector, id, _task(id).seatDeadline));
        vm.prank(requester);
        tm.cancel(id);
        _toSeatEnd(id);
        uint256 before = token.balanceOf(requester);
        vm.expectEmit(address(tm));
        emit ITaskManager.TaskCancelled(id);
        vm.prank(requester);
        tm.cancel(id);
        assertEq(token.balanceOf(requester), before + REWARD, "escrow back at once");
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Cancelled));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        tm.drawVerifiers(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        vm.prank(requester);
        tm.dispute(id);
        _toRevealEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        tm.finalize(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerNotOpen.selector, id, TaskStatus.Cancelled));
        vm.prank(requester);
        tm.cancel(id);
    }

    function test_cancel_revertsAfterACommit() public {
        uint256 id = _createTask(REWARD, 3);
        _commit(id, computes[0], GOOD);
        _toSeatEnd(id);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerSeatsCommitted.selector, id));
        vm.prank(requester);
        tm.cancel(id);
    }

    function test_statusOf_followsTheClock() public {
        assertEq(uint8(tm.statusOf(1)), uint8(TaskStatus.None));
        uint256 id = _createTask(REWARD, 3);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Seating));
        _toSeatEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Verifying));
        _toCommitEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.Revealing));
        _toRevealEnd(id);
        assertEq(uint8(tm.statusOf(id)), uint8(TaskStatus.AwaitingFinalize));
        assertEq(uint8(_task(id).status), uint8(TaskStatus.AwaitingFinalize));
    }

    function test_codeSize_everyContractFitsEip170() public view {
        assertLe(address(tm).code.length, 24_576, "TaskManager");
        assertLe(address(staking).code.length, 24_576, "NodeStaking");
        assertLe(address(registry).code.length, 24_576, "ModelRegistry");
        assertLe(address(token).code.length, 24_576, "OmniToken");
        assertLe(vm.getDeployedCode("TaskLifecycle.sol:TaskLifecycle").length, 24_576, "TaskLifecycle");
        assertLe(vm.getDeployedCode("TaskCommits.sol:TaskCommits").length, 24_576, "TaskCommits");
        assertLe(vm.getDeployedCode("TaskSettlement.sol:TaskSettlement").length, 24_576, "TaskSettlement");
        assertGt(vm.getDeployedCode("TaskCommits.sol:TaskCommits").length, 0);
    }
}
