// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TaskManagerUnitBase} from "./base/TaskManagerBase.t.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {Task} from "../../contracts/types/TaskTypes.sol";

/// @notice The parameters (TaskParams): defaults, the owner-only bounded setters, and that a change never reaches an open task (PROTOCOL.md §3, §9).
contract TaskParamsTest is TaskManagerUnitBase {
    function _expectBounds(string memory name, uint256 value) internal {
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskManagerParameterOutOfBounds.selector, name, value));
    }

    function test_setters_ownerOnlyAndBounded() public {
        vm.expectRevert();
        tm.setJurySize(21);

        vm.startPrank(owner);
        tm.setJurySize(21);
        assertEq(tm.jurySize(), 21);
        _expectBounds("jurySize", 10);
        tm.setJurySize(10);
        _expectBounds("jurySize", 256);
        tm.setJurySize(256);
        _expectBounds("seatWindow", 59 minutes);
        tm.setSeatWindow(59 minutes);
        _expectBounds("seatWindow", 9 hours + 1); // commitWindow − disputeWindow = 9 h (and < verifyWindow)
        tm.setSeatWindow(9 hours + 1);
        _expectBounds("verifyWindow", 5 hours); // must stay above seatWindow
        tm.setVerifyWindow(5 hours);
        _expectBounds("verifyWindow", 10 hours + 1); // ≤ disputeWindow − 1 h
        tm.setVerifyWindow(10 hours + 1);
        _expectBounds("disputeWindow", 11 hours - 1); // ≥ verifyWindow + 1 h
        tm.setDisputeWindow(11 hours - 1);
        _expectBounds("disputeWindow", 15 hours + 1); // ≤ commitWindow − seatWindow
        tm.setDisputeWindow(15 hours + 1);
        _expectBounds("commitWindow", 16 hours - 1); // ≥ disputeWindow + seatWindow
        tm.setCommitWindow(16 hours - 1);
        // §3: commitWindow + revealWindow ≤ 3 days, whatever the unbonding period
        tm.setCommitWindow(3 days - 4 hours);
        _expectBounds("commitWindow", 3 days - 4 hours + 1);
        tm.setCommitWindow(3 days - 4 hours + 1);
        _expectBounds("revealWindow", 4 hours + 1);
        tm.setRevealWindow(4 hours + 1);
        _expectBounds("revealWindow", 59 minutes);
        tm.setRevealWindow(59 minutes);
        _expectBounds("liquidationWindow", 59 minutes);
        tm.setLiquidationWindow(59 minutes);
        _expectBounds("liquidationWindow", 3 days + 1);
        tm.setLiquidationWindow(3 days + 1);
        tm.setLiquidationWindow(1 days);
        assertEq(tm.liquidationWindow(), 1 days);
        _expectBounds("seatStep", 59);
        tm.setSeatStep(59);
        _expectBounds("seatFactor", 65);
        tm.setSeatFactor(65);
        _expectBounds("expectedVerifiers", 0);
        tm.setExpectedVerifiers(0);
        _expectBounds("bondMultiplier", 1_001);
        tm.setBondMultiplier(1_001);
        _expectBounds("slashBps", 10_001);
        tm.setSlashBps(10_001);
        _expectBounds("noRevealSlashBps", 10_001);
        tm.setNoRevealSlashBps(10_001);
        _expectBounds("liquidatorBountyBps", 2_001);
        tm.setLiquidatorBountyBps(2_001);
        _expectBounds("verifierFeeBps", 5_001);
        tm.setVerifierFeeBps(5_001);
        _expectBounds("maxRedundancy", 11);
        tm.setMaxRedundancy(11);
        _expectBounds("maxCallbackGas", 10_000_001);
        tm.setMaxCallbackGas(10_000_001);
        _expectBounds("minReward", 0);
        tm.setMinReward(0);
        tm.setMinCommitBond(1 ether);
        assertEq(tm.minCommitBond(), 1 ether);
        vm.stopPrank();
    }

    function test_setParameter_doesNotApplyToOpenTask() public {
        uint256 id = _createTask(REWARD, 3);
        vm.startPrank(owner);
        tm.setSeatWindow(1 hours);
        tm.setSlashBps(0);
        vm.stopPrank();
        Task memory t = _task(id);
        assertEq(t.seatDeadline, t.createdAt + 5 hours);
        assertEq(t.slashBps, 10_000);
    }

    function test_constructor_setsDefaultsAndDomain() public view {
        assertEq(tm.seatWindow(), 5 hours);
        assertEq(tm.verifyWindow(), 10 hours);
        assertEq(tm.disputeWindow(), 11 hours);
        assertEq(tm.commitWindow(), 20 hours);
        assertEq(tm.jurySize(), 51);
        assertEq(tm.revealWindow(), 4 hours);
        assertEq(tm.seatStep(), 30 minutes);
        assertEq(tm.seatFactor(), 4);
        assertEq(tm.expectedVerifiers(), 3);
        assertEq(tm.minCommitBond(), 100 ether);
        assertEq(tm.bondMultiplier(), 100);
        assertEq(tm.slashBps(), 10_000);
        assertEq(tm.noRevealSlashBps(), 1_000);
        assertEq(tm.liquidatorBountyBps(), 500);
        assertEq(tm.verifierFeeBps(), 2_000);
        assertEq(tm.maxRedundancy(), 10);
        assertEq(tm.maxCallbackGas(), 2_000_000);
        assertEq(tm.liquidationWindow(), 3 days);
        assertEq(tm.minReward(), 1 ether);
        assertEq(tm.treasury(), treasury);
        assertEq(tm.token(), address(token));
        assertEq(tm.staking(), address(staking));
        assertEq(tm.registry(), address(registry));
        assertEq(tm.owner(), owner);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = tm.eip712Domain();
        assertEq(name, "OmniTensor TaskManager");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(tm));
    }
}
