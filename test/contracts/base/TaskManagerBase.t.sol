// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {OmniToken} from "../../../contracts/token/OmniToken.sol";
import {NodeStaking} from "../../../contracts/staking/NodeStaking.sol";
import {ModelRegistry} from "../../../contracts/registry/ModelRegistry.sol";
import {TaskManager} from "../../../contracts/tasks/TaskManager.sol";
import {Task, TaskRequest, SignedCommit} from "../../../contracts/types/TaskTypes.sol";

/// @notice Shared suite for the TaskManager tests: the real OmniToken, NodeStaking, ModelRegistry and TaskManager
///         (its external libraries are linked by the test runner), a registered model, a requester, and pools of
///         COMPUTE and VALIDATOR nodes with keys, funded and approved. Helpers stake nodes, open tasks, roll blocks
///         (seeds come from blockhash), warp to the phases and build commitments, signatures and reveals.
abstract contract TaskManagerBase is Test {
    uint8 internal constant COMPUTE = 1;
    uint8 internal constant VALIDATOR = 2;
    uint8 internal constant BOTH = 3;
    uint64 internal constant T0 = 1_700_000_000;
    uint256 internal constant STAKE = 50_000 ether;
    uint256 internal constant FUNDS = 1_000_000 ether;
    uint256 internal constant REWARD = 100 ether;
    uint16 internal constant ROYALTY_BPS = 500;

    OmniToken internal token;
    NodeStaking internal staking;
    ModelRegistry internal registry;
    TaskManager internal tm;
    bytes32 internal modelId;

    address internal owner = makeAddr("owner");
    address internal treasury = makeAddr("treasury");
    address internal requester = makeAddr("requester");
    address internal modelOwner = makeAddr("modelOwner");
    address internal stranger = makeAddr("stranger");

    address[] internal computes;
    address[] internal validators;
    mapping(address node => uint256 key) internal keyOf;

    bytes internal constant INPUT = bytes("{\"inputs\":{\"x\":{\"type\":\"float32\",\"dims\":[1],\"data\":[1]}}}");
    bytes32 internal constant GOOD = keccak256("canonical output: good");
    bytes32 internal constant BAD = keccak256("canonical output: bad");

    function setUp() public virtual {
        vm.warp(T0);
        vm.roll(100);
        token = new OmniToken(treasury);
        staking = new NodeStaking(address(token), owner);
        registry = new ModelRegistry();
        tm = new TaskManager(address(token), address(staking), address(registry), treasury, owner);
        vm.prank(owner);
        staking.setTaskManager(address(tm));
        vm.prank(modelOwner);
        modelId = registry.registerModel(keccak256("onnx"), "ipfs://model", "{\"spec\":1}", ROYALTY_BPS);
        _fund(requester);
    }

    // ------------------------------------------------------------------ accounts

    function _fund(address who) internal {
        vm.prank(treasury);
        token.transfer(who, FUNDS);
        vm.startPrank(who);
        token.approve(address(staking), type(uint256).max);
        token.approve(address(tm), type(uint256).max);
        vm.stopPrank();
    }

    /// @dev A new node with a key, funded, staked with `roles`.
    function _newNode(string memory label, uint8 roles, uint256 amount) internal returns (address node) {
        uint256 key;
        (node, key) = makeAddrAndKey(label);
        keyOf[node] = key;
        _fund(node);
        vm.prank(node);
        staking.stake(amount, roles, "ipfs://node");
    }

    /// @dev `nc` compute nodes and `nv` validator nodes, staked now; then one second passes so that they are
    ///      active since before the next task's createdAt.
    function _stakeNodes(uint256 nc, uint256 nv) internal {
        for (uint256 i = 0; i < nc; ++i) {
            computes.push(_newNode(string.concat("compute-", vm.toString(computes.length)), COMPUTE, STAKE));
        }
        for (uint256 i = 0; i < nv; ++i) {
            validators.push(_newNode(string.concat("validator-", vm.toString(validators.length)), VALIDATOR, STAKE));
        }
        skip(1);
    }

    // ------------------------------------------------------------------ tasks

    function _request(uint256 reward, uint8 redundancy) internal view returns (TaskRequest memory req) {
        req.modelId = modelId;
        req.input = INPUT;
        req.reward = reward;
        req.redundancy = redundancy;
        req.resultKey = keccak256("requester x25519 key");
    }

    /// @dev Open a task as the requester, then roll two blocks so that its seat seed is known.
    function _createTask(uint256 reward, uint8 redundancy) internal returns (uint256 taskId) {
        vm.prank(requester);
        taskId = tm.createTask(_request(reward, redundancy));
        _roll(2);
    }

    function _createTaskWith(TaskRequest memory req) internal returns (uint256 taskId) {
        vm.prank(requester);
        taskId = tm.createTask(req);
        _roll(2);
    }

    function _task(uint256 taskId) internal view returns (Task memory) {
        return tm.getTask(taskId);
    }

    function _roll(uint256 blocks) internal {
        vm.roll(block.number + blocks);
    }

    // ------------------------------------------------------------------ phases

    function _toSeatEnd(uint256 taskId) internal {
        vm.warp(_task(taskId).seatDeadline);
    }

    function _toCommitEnd(uint256 taskId) internal {
        vm.warp(_task(taskId).commitDeadline);
    }

    function _toRevealEnd(uint256 taskId) internal {
        vm.warp(_task(taskId).revealDeadline);
    }

    // ------------------------------------------------------------------ commitments

    function _salt(uint256 taskId, address node) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", taskId, node));
    }

    function _commitment(uint256 taskId, address node, bytes32 outputHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(taskId, node, outputHash, _salt(taskId, node)));
    }

    function _sealed(uint256 taskId, address node) internal pure returns (bytes memory) {
        return abi.encodePacked("sealed", taskId, node);
    }

    function _commit(uint256 taskId, address node, bytes32 outputHash) internal {
        vm.prank(node);
        tm.commit(taskId, _commitment(taskId, node, outputHash), _sealed(taskId, node));
    }

    function _reveal(uint256 taskId, address node, bytes32 outputHash) internal {
        tm.reveal(taskId, node, outputHash, _salt(taskId, node));
    }

    /// @dev A seat commitment signed by `node` (place 1).
    function _sign(uint256 taskId, address node, bytes32 commitment, bytes memory sealedOutput, uint256 deadline)
        internal
        view
        returns (SignedCommit memory c)
    {
        return _signAt(taskId, node, 1, commitment, sealedOutput, deadline);
    }

    /// @dev A commitment signed by `node` for `place` (1 seat, 2 verifier, 3 juror).
    function _signAt(
        uint256 taskId,
        address node,
        uint8 place,
        bytes32 commitment,
        bytes memory sealedOutput,
        uint256 deadline
    ) internal view returns (SignedCommit memory c) {
        bytes32 digest = tm.commitDigest(taskId, place, commitment, keccak256(sealedOutput), deadline);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(keyOf[node], digest);
        c = SignedCommit({
            taskId: taskId,
            node: node,
            place: place,
            commitment: commitment,
            sealedOutput: sealedOutput,
            deadline: deadline,
            signature: abi.encodePacked(r, s, v)
        });
    }

    // ------------------------------------------------------------------ sortition helpers

    /// @dev Compute nodes sorted by (rank, address) in the task: the order in which seats go.
    function _byRank(uint256 taskId) internal view returns (address[] memory sorted) {
        sorted = computes;
        uint256 len = sorted.length;
        for (uint256 i = 1; i < len; ++i) {
            address a = sorted[i];
            uint256 ra = tm.rankOf(taskId, a);
            uint256 j = i;
            while (j > 0 && _after(taskId, sorted[j - 1], ra, a)) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = a;
        }
    }

    function _after(uint256 taskId, address b, uint256 ra, address a) private view returns (bool) {
        uint256 rb = tm.rankOf(taskId, b);
        return rb > ra || (rb == ra && b > a);
    }

    /// @dev The validators that are sampled verifiers of the task (needs drawVerifiers and two blocks).
    function _verifiers(uint256 taskId) internal view returns (address[] memory list) {
        return _filter(taskId, 2);
    }

    /// @dev The validators that are jurors of a disputed task.
    function _jurors(uint256 taskId) internal view returns (address[] memory list) {
        return _filter(taskId, 3);
    }

    function _filter(uint256 taskId, uint8 place) private view returns (address[] memory list) {
        list = new address[](validators.length);
        uint256 k;
        for (uint256 i = 0; i < validators.length; ++i) {
            (, bool v, bool j) = tm.isEligible(taskId, validators[i]);
            if ((place == 2 && v) || (place == 3 && j)) list[k++] = validators[i];
        }
        assembly ("memory-safe") {
            mstore(list, k)
        }
    }

    /// @dev Open a task with `redundancy` seats, fill them with the best-ranked compute nodes committing `hashes`.
    function _seated(uint8 redundancy, bytes32[] memory hashes) internal returns (uint256 taskId, address[] memory seats) {
        taskId = _createTask(REWARD, redundancy);
        address[] memory sorted = _byRank(taskId);
        seats = new address[](redundancy);
        for (uint256 i = 0; i < redundancy; ++i) {
            seats[i] = sorted[i];
            _commit(taskId, sorted[i], hashes[i]);
        }
    }

    function _hashes(bytes32 a) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](1);
        h[0] = a;
    }

    function _hashes(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory h) {
        h = new bytes32[](3);
        (h[0], h[1], h[2]) = (a, b, c);
    }
}

/// @notice Base of the TaskManager unit suites (TaskManager.<step>.t.sol, TaskParams.t.sol): five COMPUTE nodes and
///         three VALIDATOR nodes (C = 5, V = 3 ≤ expectedVerifiers: every validator is a sampled verifier), and the
///         money of a 100-OMNIT task at redundancy 3.
abstract contract TaskManagerUnitBase is TaskManagerBase {
    uint256 internal constant W = 25 ether; // (100 − 5 royalty − 20 fee) / 3
    uint256 internal constant FEE = 20 ether;
    uint256 internal constant ROYALTY = 5 ether;
    uint256 internal constant BOND = 2_500 ether; // max(100 OMNIT, 100 × W)

    function setUp() public virtual override {
        super.setUp();
        _stakeNodes(5, 3);
    }
}
