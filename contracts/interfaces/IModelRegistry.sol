// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Model} from "../types/ModelTypes.sol";

/// @title IModelRegistry
/// @notice modelId = keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec)))), owner = the registering
///         account: the owner is part of the id, so a registration seen in the mempool cannot be front-run to squat the
///         model's royalty (PROTOCOL.md §9, v4).
interface IModelRegistry {
    event ModelRegistered(
        bytes32 indexed modelId, address indexed owner, bytes32 onnxSha256, string uri, string spec, uint16 royaltyBps
    );

    /// @notice Register a model owned by msg.sender; royaltyBps <= 2000; the same id (same sender, file and spec)
    ///         twice reverts.
    function registerModel(bytes32 onnxSha256, string calldata uri, string calldata spec, uint16 royaltyBps)
        external
        returns (bytes32 modelId);
    /// @notice The model, or reverts `ModelRegistryUnknownModel(modelId)`.
    function getModel(bytes32 modelId) external view returns (Model memory);
    function exists(bytes32 modelId) external view returns (bool);
    /// @notice The model's owner and royalty (one storage slot); owner is address(0) for an unknown model.
    function ownerAndRoyalty(bytes32 modelId) external view returns (address owner, uint16 royaltyBps);
    /// @notice The id that `registerModel(onnxSha256, _, spec, _)` sent by `owner` gives.
    function modelIdOf(address owner, bytes32 onnxSha256, string calldata spec) external pure returns (bytes32);
}
