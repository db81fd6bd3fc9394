// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {OmniToken} from "../../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {TaskManager} from "../../../contracts/tasks/TaskManager.sol";
import {Task, TaskRequest, TaskStatus, Commitment, Reveal} from "../../../contracts/types/TaskTypes.sol";

/// @notice Drives random task lifecycles on the real suite (token, staking, registry, TaskManager) and keeps ghost
///         sums: OMNIT into and out of TaskManager, settlements per task, and liquidations of nodes that revealed
///         a paid hash. Every action is tried; a revert is a legitimate refusal and changes nothing.
contract TaskManagerHandler is Test {
    uint256 internal constant STAKE = 50_000 ether;
    bytes32 internal constant GOOD = keccak256("good");
    bytes32 internal constant BAD = keccak256("bad");

    OmniToken public token;
    NodeStaking public staking;
    ModelRegistry public registry;
    TaskManager public tm;
    bytes32 public modelId;

    address public requester = makeAddr("inv-requester");
    address public modelOwner = makeAddr("inv-modelOwner");
    address public keeper = makeAddr("inv-keeper");
    address[] internal _nodes;
    uint256[] internal _tasks;

    // ghost sums
    uint256 public ghostIn;
    uint256 public ghostOut;
    mapping(uint256 taskId => uint256) public settlements;
    uint256 public honestSlashed;
    mapping(address account => uint256) public withdrawnBy;
    uint256 public calls;
    // how far the random lifecycles got (successful calls), so that a run that never settles anything shows
    mapping(bytes32 action => uint256) public done;

    function init() external {
        address treasury = makeAddr("inv-treasury");
        token = new OmniToken(treasury);
        staking = new NodeStaking(address(token), address(this));
        registry = new ModelRegistry();
        tm = new TaskManager(address(token), address(staking), address(registry), treasury, address(this));
        staking.setTaskManager(address(tm));
        tm.setExpectedVerifiers(2);
        vm.prank(modelOwner);
        modelId = registry.registerModel(keccak256("onnx"), "ipfs://m", "{}", 500);
        vm.startPrank(treasury);
        token.transfer(requester, 10_000_000 ether);
        for (uint256 i = 0; i < 10; ++i) {
            address node = makeAddr(string.concat("inv-node-", vm.toString(i)));
            _nodes.push(node);
            token.transfer(node, STAKE);
        }
        vm.stopPrank();
        vm.prank(requester);
        token.approve(address(tm), type(uint256).max);
        for (uint256 i = 0; i < 10; ++i) {
            vm.startPrank(_nodes[i]);
            token.approve(address(staking), type(uint256).max);
            staking.stake(STAKE, i < 6 ? 1 : 2, "ipfs://n"); // 6 compute nodes, 4 validators
            vm.stopPrank();
        }
        skip(1);
    }

    // ------------------------------------------------------------------ actions

    function createTask(uint256 rewardSeed, uint8 redundancySeed) external {
        ++calls;
        if (_tasks.length >= 10) return;
        _create(uint256(keccak256(abi.encode(rewardSeed, redundancySeed))));
    }

    /// @dev A whole lifecycle with random choices: which eligible nodes commit and with which hash, whether
    ///      verifiers are drawn and the task disputed, which commitments are revealed; then finalize.
    function fullTask(uint256 seed) external {
        ++calls;
        if (_tasks.length >= 10) return;
        uint256 id = _create(seed);
        for (uint256 i = 0; i < _nodes.length; ++i) _maybeCommit(id, _nodes[i], seed, i);
        Task memory t = tm.getTask(id);
        vm.warp(t.seatDeadline);
        if (_bit(seed, 100)) {
            try tm.drawVerifiers(id) {} catch {}
        }
        if (_bit(seed, 101)) {
            uint256 before = token.balanceOf(address(tm));
            vm.prank(requester);
            try tm.dispute(id) {
                ghostIn += token.balanceOf(address(tm)) - before;
                ++done["dispute"];
            } catch {}
        }
        // sometimes nobody stores the seeds within 256 blocks: they are lost until fixSeed re-anchors them
        vm.roll(block.number + (_bit(seed, 103) ? 300 : 2));
        if (_bit(seed, 102)) {
            tm.fixSeed(id, 3);
            vm.roll(block.number + 2);
            tm.fixSeed(id, 3);
            vm.roll(block.number + 2);
            tm.fixSeed(id, 3);
        }
        for (uint256 i = 0; i < _nodes.length; ++i) _maybeCommit(id, _nodes[i], seed, i + 20);
        vm.warp(t.commitDeadline);
        if (_bit(seed, 104)) {
            _revealAll(id);
        } else {
            for (uint256 i = 0; i < _nodes.length; ++i) {
                if (_bit(seed, i + 40) || _bit(seed, i + 60)) _tryReveal(id, _nodes[i]);
            }
        }
        vm.warp(t.revealDeadline);
        _finalize(id);
        for (uint256 i = 0; i < _nodes.length; ++i) {
            if (_bit(seed, i + 80)) _tryLiquidate(id, _nodes[i], uint256(keccak256(abi.encode(seed, i))));
            if (_bit(seed, i + 90)) {
                vm.prank(_nodes[i]);
                try tm.claim(id) {
                    ++done["claim"];
                } catch {}
            }
        }
        vm.roll(block.number + 1);
    }

    function _tryLiquidate(uint256 id, address node, uint256 callerSeed) internal {
        address caller =
            callerSeed % 3 == 0 ? requester : (callerSeed % 3 == 1 ? keeper : _nodes[callerSeed % _nodes.length]);
        bool paid = _revealedPaidHash(id, node);
        uint256 before = token.balanceOf(address(tm));
        vm.prank(caller);
        try tm.liquidate(id, node) {
            ghostIn += token.balanceOf(address(tm)) - before;
            if (paid) ++honestSlashed;
            ++done["liquidate"];
        } catch {}
    }

    function _maybeCommit(uint256 id, address node, uint256 seed, uint256 salt) internal {
        if (!_bit(seed, salt)) return;
        bytes32 h = _bit(seed, salt + 200) && _bit(seed, salt + 300) ? BAD : GOOD;
        bytes32 c = keccak256(abi.encode(id, node, h, _salt(id, node)));
        vm.prank(node);
        try tm.commit(id, c, "sealed") {
            ++done["commit"];
        } catch {}
    }

    function _tryReveal(uint256 id, address node) internal {
        Commitment memory cm = tm.commitmentOf(id, node);
        if (cm.commitment == bytes32(0) || cm.revealed || cm.voided) return;
        bytes32 salt = _salt(id, node);
        bytes32 h = cm.commitment == keccak256(abi.encode(id, node, BAD, salt)) ? BAD : GOOD;
        try tm.reveal(id, node, h, salt) {
            ++done["reveal"];
        } catch {}
    }

    /// @dev revealBatch of every live commitment of the task (a third party relays; bad entries are skipped).
    function _revealAll(uint256 id) internal {
        Reveal[] memory rs = new Reveal[](_nodes.length);
        for (uint256 i = 0; i < _nodes.length; ++i) {
            address node = _nodes[i];
            Commitment memory cm = tm.commitmentOf(id, node);
            bytes32 salt = _salt(id, node);
            bytes32 h = cm.commitment == keccak256(abi.encode(id, node, BAD, salt)) ? BAD : GOOD;
            rs[i] = Reveal({taskId: id, node: node, outputHash: h, salt: salt});
        }
        vm.prank(keeper);
        tm.revealBatch(rs); // never reverts: nodes without a commitment are skipped with their reason
        ++done["revealBatch"];
    }

    function _finalize(uint256 id) internal {
        try tm.finalize(id) {
            ++settlements[id];
            ++done[tm.statusOf(id) == TaskStatus.Finalized ? bytes32("finalized") : bytes32("unresolved")];
        } catch {}
    }

    function _bit(uint256 seed, uint256 i) internal pure returns (bool) {
        return uint256(keccak256(abi.encode(seed, i))) % 2 == 0;
    }

    function _create(uint256 seed) internal returns (uint256 id) {
        TaskRequest memory req;
        req.modelId = modelId;
        req.input = abi.encode(seed);
        req.reward = bound(seed, 1 ether, 200 ether);
        req.redundancy = uint8(bound(seed >> 128, 1, 3));
        vm.prank(requester);
        id = tm.createTask(req);
        ghostIn += req.reward;
        _tasks.push(id);
        vm.roll(block.number + 2);
    }

    function commit(uint256 taskSeed, uint256 nodeSeed, bool bad) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        for (uint256 i = 0; i < _nodes.length; ++i) {
            address node = _nodes[(nodeSeed + i) % _nodes.length];
            (bool seat, bool verifier, bool juror) = tm.isEligible(id, node);
            if (!(seat || verifier || juror)) continue;
            bytes32 h = bad && ((nodeSeed + i) % 3 == 0) ? BAD : GOOD;
            bytes32 c = keccak256(abi.encode(id, node, h, _salt(id, node)));
            vm.prank(node);
            try tm.commit(id, c, "sealed") {
                ++done["commit"];
                return;
            } catch {}
        }
    }

    function drawVerifiers(uint256 taskSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        try tm.drawVerifiers(id) {} catch {}
        vm.roll(block.number + 2);
    }

    function dispute(uint256 taskSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        uint256 before = token.balanceOf(address(tm));
        vm.prank(requester);
        try tm.dispute(id) {
            ghostIn += token.balanceOf(address(tm)) - before;
            ++done["dispute"];
        } catch {}
        vm.roll(block.number + 2);
    }

    function reveal(uint256 taskSeed, uint256 nodeSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        for (uint256 i = 0; i < _nodes.length; ++i) {
            address node = _nodes[(nodeSeed + i) % _nodes.length];
            Commitment memory cm = tm.commitmentOf(id, node);
            if (cm.commitment == bytes32(0) || cm.revealed || cm.voided) continue;
            bytes32 salt = _salt(id, node);
            bytes32 h = cm.commitment == keccak256(abi.encode(id, node, BAD, salt)) ? BAD : GOOD;
            try tm.reveal(id, node, h, salt) {
                ++done["reveal"];
            } catch {}
            return;
        }
    }

    function finalize(uint256 taskSeed) external {
        ++calls;
        if (_tasks.length == 0) return;
        uint256 id = _tasks[taskSeed % _tasks.length];
        for (uint256 i = 0; i < _tasks.length; ++i) {
            id = _tasks[(taskSeed + i) % _tasks.length];
            if (tm.statusOf(id) == TaskStatus.AwaitingFinalize) break;
        }
        _finalize(id);
    }

    function cancel(uint256 taskSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        uint256 before = token.balanceOf(address(tm));
        vm.prank(requester);
        try tm.cancel(id) {
            ++settlements[id];
            ghostOut += before - token.balanceOf(address(tm));
        } catch {}
    }

    function liquidate(uint256 taskSeed, uint256 nodeSeed, uint256 callerSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickSettled(taskSeed);
        if (!ok) return;
        for (uint256 i = 0; i < _nodes.length; ++i) {
            address node = _nodes[(nodeSeed + i) % _nodes.length];
            // one in four tries a node the view says is safe: it must revert
            if (!tm.isLiquidatable(id, node) && (nodeSeed + i) % 4 != 0) continue;
            _tryLiquidate(id, node, callerSeed);
            return;
        }
    }

    function claim(uint256 taskSeed, uint256 nodeSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickSettled(taskSeed);
        if (!ok) return;
        for (uint256 i = 0; i < _nodes.length; ++i) {
            address node = _nodes[(nodeSeed + i) % _nodes.length];
            Commitment memory cm = tm.commitmentOf(id, node);
            if (!cm.revealed || (cm.claimed && i % 2 == 0)) continue;
            if (nodeSeed % 2 == 1) {
                // claimBatch by a third party: credits the node, never the keeper
                uint256[] memory ids = new uint256[](1);
                address[] memory who = new address[](1);
                (ids[0], who[0]) = (id, node);
                vm.prank(keeper);
                tm.claimBatch(ids, who); // never reverts: an entry with nothing to claim is skipped
                ++done["claim"];
                return;
            }
            vm.prank(node);
            try tm.claim(id) {
                ++done["claim"];
            } catch {}
            return;
        }
    }

    function release(uint256 taskSeed, uint256 nodeSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        try tm.release(id, _nodes[nodeSeed % _nodes.length]) {} catch {}
    }

    function withdraw(uint256 actorSeed) external {
        ++calls;
        address[] memory all = actors();
        address who = all[actorSeed % all.length];
        uint256 before = token.balanceOf(address(tm));
        vm.prank(who);
        try tm.withdraw() {
            withdrawnBy[who] += before - token.balanceOf(address(tm));
            ghostOut += before - token.balanceOf(address(tm));
            ++done["withdraw"];
        } catch {}
    }

    /// @dev Warp to the next deadline (seat, verify, dispute, commit, reveal) of the oldest task not yet past its
    ///      reveal deadline, so that lifecycles keep moving towards settlement.
    function advance(uint256 taskSeed) external {
        ++calls;
        uint256 id;
        for (uint256 i = 0; i < _tasks.length; ++i) {
            if (block.timestamp < tm.getTask(_tasks[i]).revealDeadline) {
                id = _tasks[i];
                break;
            }
        }
        if (id == 0) return;
        Task memory t = tm.getTask(id);
        uint64[5] memory ds = [t.seatDeadline, t.verifyDeadline, t.disputeDeadline, t.commitDeadline, t.revealDeadline];
        for (uint256 i = 0; i < 5; ++i) {
            if (block.timestamp < ds[i]) {
                vm.warp(ds[i] - (taskSeed % 2 == 0 ? 1 : 0));
                vm.roll(block.number + 1);
                return;
            }
        }
    }

    /// @dev Roll some blocks (possibly past 256, losing unstored seeds), then fixSeed a random kind.
    function fixSeed(uint256 taskSeed, uint8 kindSeed, uint16 blocks) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        vm.roll(block.number + (blocks % 400));
        tm.fixSeed(id, uint8(1 + (kindSeed % 3))); // never reverts for a known task and kind
        ++done["fixSeed"];
    }

    /// @dev revealBatch over one task's commitments.
    function revealBatch(uint256 taskSeed) external {
        ++calls;
        (uint256 id, bool ok) = _pickTask(taskSeed);
        if (!ok) return;
        _revealAll(id);
    }

    /// @dev A node changes its roles or unstakes part of its unlocked stake (cooldowns and inactivity refuse some).
    function restake(uint256 nodeSeed, uint8 rolesSeed, uint256 amountSeed) external {
        ++calls;
        address node = _nodes[nodeSeed % _nodes.length];
        vm.startPrank(node);
        if (amountSeed % 2 == 0) {
            try staking.stake(0, uint8(1 + (rolesSeed % 3)), "ipfs://n") {
                ++done["restake"];
            } catch {}
        } else {
            uint256 unlocked = staking.unlockedOf(node);
            if (unlocked != 0) {
                try staking.requestUnstake(bound(amountSeed, 1, unlocked)) {
                    ++done["unstake"];
                } catch {}
            }
        }
        vm.stopPrank();
    }

    function warp(uint256 secondsSeed) external {
        ++calls;
        skip(bound(secondsSeed, 1, 3 hours));
        vm.roll(block.number + 1);
    }

    // ------------------------------------------------------------------ views for the invariants

    function tasks() external view returns (uint256[] memory) {
        return _tasks;
    }

    function nodes() external view returns (address[] memory) {
        return _nodes;
    }

    /// @dev Every account that can hold a credit.
    function actors() public view returns (address[] memory all) {
        all = new address[](_nodes.length + 3);
        for (uint256 i = 0; i < _nodes.length; ++i) all[i] = _nodes[i];
        all[_nodes.length] = requester;
        all[_nodes.length + 1] = modelOwner;
        all[_nodes.length + 2] = keeper;
    }

    // ------------------------------------------------------------------ internal

    function _pickTask(uint256 seed) internal view returns (uint256, bool) {
        if (_tasks.length == 0) return (0, false);
        return (_tasks[seed % _tasks.length], true);
    }

    /// @dev A Finalized or Unresolved task, starting the search at `seed`.
    function _pickSettled(uint256 seed) internal view returns (uint256, bool) {
        for (uint256 i = 0; i < _tasks.length; ++i) {
            uint256 id = _tasks[(seed + i) % _tasks.length];
            TaskStatus st = tm.statusOf(id);
            if (st == TaskStatus.Finalized || st == TaskStatus.Unresolved) return (id, true);
        }
        return (0, false);
    }

    function _salt(uint256 id, address node) internal pure returns (bytes32) {
        return keccak256(abi.encode("inv-salt", id, node));
    }

    /// @dev Whether `node` revealed a hash that its task's settlement pays (R when Finalized; any hash or the
    ///      leader when Unresolved and paying).
    function _revealedPaidHash(uint256 id, address node) internal view returns (bool) {
        Commitment memory c = tm.commitmentOf(id, node);
        if (!c.revealed || c.voided) return false;
        Task memory t = tm.getTask(id);
        if (t.status == TaskStatus.Finalized) return c.outputHash == t.acceptedOutputHash;
        if (t.status == TaskStatus.Unresolved) return true; // Unresolved liquidates silent nodes only
        return false;
    }
}
