// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {Model} from "../types/ModelTypes.sol";

/// @title ModelRegistry
/// @notice Registered models: sha256 of the ONNX file, URI, canonicalization spec, owner, royalty (PROTOCOL.md §2, §9).
/// @dev    modelId = keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec)))), owner = the registering
///         account (v4, audit L-4): a registration seen in the mempool cannot be front-run to squat the id and its
///         royalty, since another sender gets another id. The same file with another spec, or the same (file, spec)
///         registered by another owner, is another model. Registration is permissionless and a model is immutable
///         once registered.
contract ModelRegistry is IModelRegistry {
    // -------------------------------------------------------------- constants

    /// @notice The highest royalty a model owner may ask, in basis points of the reward (20 %).
    uint16 public constant MAX_ROYALTY_BPS = 2000;

    // ---------------------------------------------------------------- storage

    mapping(bytes32 modelId => Model) private _models;

    // ----------------------------------------------------------------- errors

    /// @notice `royaltyBps` above MAX_ROYALTY_BPS.
    error ModelRegistryRoyaltyTooHigh(uint16 royaltyBps);
    /// @notice A zero `onnxSha256`.
    error ModelRegistryZeroHash();
    /// @notice An empty `spec`.
    error ModelRegistryEmptySpec();
    /// @notice The model id is already registered.
    error ModelRegistryAlreadyRegistered(bytes32 modelId);
    /// @notice No model has this id.
    error ModelRegistryUnknownModel(bytes32 modelId);

    // --------------------------------------------------------------- external

    /// @notice Register a model owned by the caller, who is paid its royalty on every finalized task.
    /// @dev    Anyone. Emits `ModelRegistered`. Reverts ModelRegistryZeroHash for a zero sha256,
    ///         ModelRegistryEmptySpec for an empty spec, ModelRegistryRoyaltyTooHigh(royaltyBps) above 2000,
    ///         ModelRegistryAlreadyRegistered(modelId) when the caller already registered this (sha256, spec).
    /// @param onnxSha256 sha256 of the ONNX file.
    /// @param uri where the ONNX file can be fetched.
    /// @param spec the model spec JSON (PROTOCOL.md §7).
    /// @param royaltyBps the owner's royalty in basis points of a task's reward (<= 2000).
    /// @return modelId keccak256(abi.encode(msg.sender, onnxSha256, keccak256(bytes(spec)))).
    function registerModel(bytes32 onnxSha256, string calldata uri, string calldata spec, uint16 royaltyBps)
        external
        returns (bytes32 modelId)
    {
        if (onnxSha256 == bytes32(0)) revert ModelRegistryZeroHash();
        if (bytes(spec).length == 0) revert ModelRegistryEmptySpec();
        if (royaltyBps > MAX_ROYALTY_BPS) revert ModelRegistryRoyaltyTooHigh(royaltyBps);
        modelId = _modelId(msg.sender, onnxSha256, spec);
        Model storage m = _models[modelId];
        if (m.owner != address(0)) revert ModelRegistryAlreadyRegistered(modelId);
        m.onnxSha256 = onnxSha256;
        m.owner = msg.sender;
        m.royaltyBps = royaltyBps;
        m.uri = uri;
        m.spec = spec;
        emit ModelRegistered(modelId, msg.sender, onnxSha256, uri, spec, royaltyBps);
    }

    // ------------------------------------------------------------------ views

    /// @notice The model registered under `modelId`.
    /// @dev    Reverts ModelRegistryUnknownModel(modelId) when none is.
    function getModel(bytes32 modelId) external view returns (Model memory) {
        Model storage m = _models[modelId];
        if (m.owner == address(0)) revert ModelRegistryUnknownModel(modelId);
        return m;
    }

    /// @notice Whether a model is registered under `modelId`.
    function exists(bytes32 modelId) external view returns (bool) {
        return _models[modelId].owner != address(0);
    }

    /// @notice The owner and royalty of `modelId` from one storage slot (for TaskManager.createTask).
    /// @dev    Never reverts: owner is address(0) and royaltyBps 0 for an unknown model.
    /// @return owner the registering account, or address(0)
    /// @return royaltyBps the owner's royalty in basis points
    function ownerAndRoyalty(bytes32 modelId) external view returns (address owner, uint16 royaltyBps) {
        Model storage m = _models[modelId];
        return (m.owner, m.royaltyBps);
    }

    /// @notice The id that `registerModel(onnxSha256, _, spec, _)` gives when `owner` sends it.
    function modelIdOf(address owner, bytes32 onnxSha256, string calldata spec) external pure returns (bytes32) {
        return _modelId(owner, onnxSha256, spec);
    }

    // --------------------------------------------------------------- internal

    /// @dev keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec)))) (PROTOCOL.md §9).
    function _modelId(address owner, bytes32 onnxSha256, string calldata spec) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec))));
    }
}
