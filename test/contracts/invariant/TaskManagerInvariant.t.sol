// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {OmniToken} from "../../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";
import {TaskManager} from "../../../contracts/tasks/TaskManager.sol";
import {Task, TaskStatus, Commitment, Reputation} from "../../../contracts/types/TaskTypes.sol";
import {TaskManagerHandler} from "./TaskManagerHandler.sol";

/// @notice Invariants of TaskManager under random lifecycles (TaskManagerHandler, PROTOCOL.md §6 "At all times").
/// forge-config: default.invariant.runs = 256
/// forge-config: default.invariant.depth = 50
contract TaskManagerInvariantTest is Test {
    TaskManagerHandler internal handler;
    TaskManager internal tm;
    OmniToken internal token;
    NodeStaking internal staking;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(1_000);
        handler = new TaskManagerHandler();
        handler.init();
        tm = handler.tm();
        token = handler.token();
        staking = handler.staking();
        // fullTask (a whole lifecycle in one call) has 6 of 24 slots, so that a run of depth 50 settles a task with
        // probability 1 - (18/24)^50 > 0.9999994 (afterInvariant checks it).
        bytes4[] memory selectors = new bytes4[](24);
        selectors[0] = TaskManagerHandler.fullTask.selector;
        selectors[1] = TaskManagerHandler.commit.selector;
        selectors[2] = TaskManagerHandler.commit.selector;
        selectors[3] = TaskManagerHandler.fullTask.selector;
        selectors[4] = TaskManagerHandler.drawVerifiers.selector;
        selectors[5] = TaskManagerHandler.dispute.selector;
        selectors[6] = TaskManagerHandler.reveal.selector;
        selectors[7] = TaskManagerHandler.reveal.selector;
        selectors[8] = TaskManagerHandler.finalize.selector;
        selectors[9] = TaskManagerHandler.warp.selector;
        selectors[10] = TaskManagerHandler.liquidate.selector;
        selectors[11] = TaskManagerHandler.claim.selector;
        selectors[12] = TaskManagerHandler.release.selector;
        selectors[13] = TaskManagerHandler.withdraw.selector;
        selectors[14] = TaskManagerHandler.advance.selector;
        selectors[15] = TaskManagerHandler.advance.selector;
        selectors[16] = TaskManagerHandler.createTask.selector;
        selectors[17] = TaskManagerHandler.fullTask.selector;
        selectors[18] = TaskManagerHandler.fullTask.selector;
        selectors[19] = TaskManagerHandler.fixSeed.selector;
        selectors[20] = TaskManagerHandler.revealBatch.selector;
        selectors[21] = TaskManagerHandler.restake.selector;
        selectors[22] = TaskManagerHandler.fullTask.selector;
        selectors[23] = TaskManagerHandler.fullTask.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Every run must have settled at least one task (so that the invariants saw the money move); logs how far
    ///      the lifecycles got (visible with -vvv on a failure).
    function afterInvariant() public {
        string[8] memory keys =
            ["commit", "dispute", "reveal", "finalized", "unresolved", "liquidate", "claim", "withdraw"];
        for (uint256 i = 0; i < 8; ++i) emit log_named_uint(keys[i], handler.done(bytes32(bytes(keys[i]))));
        assertGt(handler.done("finalized") + handler.done("unresolved"), 0, "no task settled in this run");
    }

    /// @dev OMNIT held by TaskManager == everything that came in − everything that went out (ghost sums).
    function invariant_balanceMatchesGhostFlows() public view {
        assertEq(token.balanceOf(address(tm)), handler.ghostIn() - handler.ghostOut());
    }

    /// @dev OMNIT held ≥ open escrows + open dispute bonds + unclaimed credits + the pool.
    function invariant_balanceCoversEscrowsCreditsAndPool() public view {
        uint256[] memory ids = handler.tasks();
        uint256 owed = tm.verificationPool();
        for (uint256 i = 0; i < ids.length; ++i) {
            Task memory t = tm.getTask(ids[i]);
            if (t.status != TaskStatus.Finalized && t.status != TaskStatus.Unresolved && t.status != TaskStatus.Cancelled)
            {
                owed += t.reward + (t.disputed ? t.disputeBond : 0);
            }
        }
        address[] memory all = handler.actors();
        for (uint256 i = 0; i < all.length; ++i) owed += tm.creditOf(all[i]);
        assertGe(token.balanceOf(address(tm)), owed);
    }

    /// @dev Exact accounting: OMNIT held == open escrows and dispute bonds + credits + the pool + what settled tasks
    ///      still owe (unclaimed shares, verifier pay, forfeited bond shares, accumulated slash shares) + the
    ///      accumulators' carried remainders. Nothing is created or lost by any rounding.
    function invariant_balanceEqualsEverythingOwed() public view {
        uint256[] memory ids = handler.tasks();
        address[] memory nodes = handler.nodes();
        uint256 owed = tm.verificationPool();
        address[] memory all = handler.actors();
        for (uint256 i = 0; i < all.length; ++i) owed += tm.creditOf(all[i]);
        for (uint256 i = 0; i < ids.length; ++i) {
            Task memory t = tm.getTask(ids[i]);
            if (t.status == TaskStatus.Cancelled) continue;
            if (t.status != TaskStatus.Finalized && t.status != TaskStatus.Unresolved) {
                owed += t.reward + (t.disputed ? t.disputeBond : 0);
                continue;
            }
            owed += t.slashRemainder;
            for (uint256 n = 0; n < nodes.length; ++n) owed += _outstanding(t, tm.commitmentOf(ids[i], nodes[n]));
        }
        assertEq(token.balanceOf(address(tm)), owed);
    }

    function _outstanding(Task memory t, Commitment memory c) internal pure returns (uint256 due) {
        if (c.commitment == bytes32(0) || c.voided || !c.revealed) return 0;
        bool paid = t.payMode == 2 || (t.payMode == 1 && c.outputHash == t.leader);
        if (!paid) return 0;
        if (!c.claimed) due = c.place == 1 ? t.workerShare : t.verifierPay + t.bondShare;
        if (t.status == TaskStatus.Finalized) due += t.perWinner - c.claimedPerWinner;
    }

    /// @dev Each escrow is settled (finalized or cancelled) exactly once, and only settled tasks are terminal.
    function invariant_escrowSettledExactlyOnce() public view {
        uint256[] memory ids = handler.tasks();
        for (uint256 i = 0; i < ids.length; ++i) {
            TaskStatus st = tm.statusOf(ids[i]);
            bool terminal = st == TaskStatus.Finalized || st == TaskStatus.Unresolved || st == TaskStatus.Cancelled;
            assertEq(handler.settlements(ids[i]), terminal ? 1 : 0);
        }
    }

    /// @dev No node that revealed a paid hash was ever liquidated in that task.
    function invariant_honestRevealersNeverSlashed() public view {
        assertEq(handler.honestSlashed(), 0);
    }

    /// @dev Each node's locked amount in NodeStaking == the bonds of its open commitments (live, not released).
    function invariant_lockedEqualsOpenBonds() public view {
        uint256[] memory ids = handler.tasks();
        address[] memory nodes = handler.nodes();
        for (uint256 n = 0; n < nodes.length; ++n) {
            uint256 open;
            for (uint256 i = 0; i < ids.length; ++i) {
                Commitment memory c = tm.commitmentOf(ids[i], nodes[n]);
                if (c.commitment != bytes32(0) && !c.voided && !c.bondReleased) open += c.bond;
            }
            assertEq(staking.lockedOf(nodes[n]), open);
        }
    }

    /// @dev §4.13: each node's reputation counters recounted from the records: commitments = live commitment records,
    ///      revealed = revealed records, agreed = claimed records of Finalized tasks, agreed + wrong ≤ revealed, and
    ///      earned = every credit it received (nodes are never requesters here: no refunds) = credit + withdrawn.
    function invariant_reputationMatchesRecords() public view {
        uint256[] memory ids = handler.tasks();
        address[] memory nodes = handler.nodes();
        for (uint256 n = 0; n < nodes.length; ++n) {
            (uint256 live, uint256 revealed, uint256 agreed) = (0, 0, 0);
            for (uint256 i = 0; i < ids.length; ++i) {
                Commitment memory c = tm.commitmentOf(ids[i], nodes[n]);
                if (c.commitment == bytes32(0) || c.voided) continue;
                ++live;
                if (c.revealed) ++revealed;
                if (c.claimed && tm.statusOf(ids[i]) == TaskStatus.Finalized) ++agreed;
            }
            Reputation memory r = tm.reputationOf(nodes[n]);
            assertEq(r.commitments, live, "commitments");
            assertEq(r.revealed, revealed, "revealed");
            assertEq(r.agreed, agreed, "agreed");
            assertLe(uint256(r.agreed) + r.wrong, r.revealed, "agreed + wrong <= revealed");
            assertEq(r.earned, tm.creditOf(nodes[n]) + handler.withdrawnBy(nodes[n]), "earned");
        }
    }
}
