// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ModelRegistry} from "../../contracts/registry/ModelRegistry.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {Model} from "../../contracts/types/ModelTypes.sol";

contract ModelRegistryTest is Test {
    ModelRegistry internal registry;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    // A literal: a `sha256(...)` constant would call the precompile at each use and consume vm.expectRevert.
    bytes32 internal constant SHA = 0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08;
    string internal constant URI = "ipfs://bafy-model";
    string internal constant SPEC =
        '{"inputs":[{"name":"x","type":"float32","dims":[1,4]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';

    function setUp() public {
        registry = new ModelRegistry();
    }

    function _register(address who, bytes32 sha, string memory spec, uint16 royalty) internal returns (bytes32) {
        vm.prank(who);
        return registry.registerModel(sha, URI, spec, royalty);
    }

    function test_registerModel_storesModelOwnedByCaller() public {
        bytes32 id = _register(alice, SHA, SPEC, 250);
        assertEq(id, keccak256(abi.encode(alice, SHA, keccak256(bytes(SPEC)))), "modelId formula");
        assertEq(id, registry.modelIdOf(alice, SHA, SPEC));
        assertTrue(registry.exists(id));
        Model memory m = registry.getModel(id);
        assertEq(m.onnxSha256, SHA);
        assertEq(m.owner, alice);
        assertEq(m.royaltyBps, 250);
        assertEq(m.uri, URI);
        assertEq(m.spec, SPEC);
    }

    function test_registerModel_emitsModelRegistered() public {
        bytes32 id = registry.modelIdOf(alice, SHA, SPEC);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IModelRegistry.ModelRegistered(id, alice, SHA, URI, SPEC, 2000);
        _register(alice, SHA, SPEC, 2000);
    }

    function test_registerModel_sameFileOtherSpecIsAnotherModel() public {
        bytes32 a = _register(alice, SHA, SPEC, 0);
        bytes32 b = _register(bob, SHA, '{"other":true}', 0);
        assertTrue(a != b);
        assertEq(registry.getModel(b).owner, bob);
        assertEq(registry.getModel(a).owner, alice);
    }

    function test_registerModel_revertsOnSameIdTwice() public {
        bytes32 id = _register(alice, SHA, SPEC, 100);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelRegistryAlreadyRegistered.selector, id));
        _register(alice, SHA, SPEC, 0);
        assertEq(registry.getModel(id).royaltyBps, 100, "the first registration stays");
    }

    /// @dev Audit L-4: in v3 the id was keccak256(abi.encode(sha, keccak256(spec))), so a front-runner who copied a
    ///      pending registration took the id, and its royalty, and the real owner's transaction reverted.
    function test_registerModel_sameFileAndSpecByTwoOwnersAreTwoModels() public {
        bytes32 squat = _register(bob, SHA, SPEC, 2000); // bob copies alice's pending registration
        bytes32 id = _register(alice, SHA, SPEC, 100); // alice's own goes through
        assertTrue(id != squat, "two ids");
        assertEq(id, registry.modelIdOf(alice, SHA, SPEC));
        assertEq(squat, registry.modelIdOf(bob, SHA, SPEC));
        assertEq(registry.getModel(id).owner, alice);
        assertEq(registry.getModel(id).royaltyBps, 100);
        assertEq(registry.getModel(squat).owner, bob);
    }

    function test_registerModel_revertsOnRoyaltyTooHigh() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelRegistryRoyaltyTooHigh.selector, uint16(2001)));
        _register(alice, SHA, SPEC, 2001);
        vm.expectRevert(
            abi.encodeWithSelector(ModelRegistry.ModelRegistryRoyaltyTooHigh.selector, type(uint16).max)
        );
        _register(alice, SHA, SPEC, type(uint16).max);
    }

    function test_registerModel_revertsOnZeroHash() public {
        vm.expectRevert(ModelRegistry.ModelRegistryZeroHash.selector);
        _register(alice, bytes32(0), SPEC, 0);
    }

    function test_registerModel_revertsOnEmptySpec() public {
        vm.expectRevert(ModelRegistry.ModelRegistryEmptySpec.selector);
        _register(alice, SHA, "", 0);
    }

    function test_getModel_revertsOnUnknownModel() public {
        bytes32 id = registry.modelIdOf(alice, SHA, SPEC);
        assertFalse(registry.exists(id));
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.ModelRegistryUnknownModel.selector, id));
        registry.getModel(id);
    }

    function testFuzz_registerModel_idMatchesFormula(address owner, bytes32 sha, string calldata spec, uint16 royalty)
        public
    {
        vm.assume(owner != address(0) && sha != bytes32(0) && bytes(spec).length > 0);
        royalty = uint16(bound(royalty, 0, 2000));
        vm.prank(owner);
        bytes32 id = registry.registerModel(sha, URI, spec, royalty);
        assertEq(id, keccak256(abi.encode(owner, sha, keccak256(bytes(spec)))));
        assertEq(id, registry.modelIdOf(owner, sha, spec));
        Model memory m = registry.getModel(id);
        assertEq(m.owner, owner);
        assertEq(m.royaltyBps, royalty);
        assertEq(m.spec, spec);
    }

    function test_ownerAndRoyalty_returnsTheRegisteredOwnerAndRoyalty() public {
        bytes32 id = _register(alice, SHA, SPEC, 1234);
        (address owner, uint16 royaltyBps) = registry.ownerAndRoyalty(id);
        assertEq(owner, alice, "owner");
        assertEq(royaltyBps, 1234, "royaltyBps");
        Model memory m = registry.getModel(id);
        assertEq(owner, m.owner, "same owner as getModel");
        assertEq(royaltyBps, m.royaltyBps, "same royalty as getModel");
    }

    function test_ownerAndRoyalty_unknownModelIsZero() public view {
        (address owner, uint16 royaltyBps) = registry.ownerAndRoyalty(keccak256("nope"));
        assertEq(owner, address(0), "owner");
        assertEq(royaltyBps, 0, "royaltyBps");
    }
}
