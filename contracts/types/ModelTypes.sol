// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A registered model (PROTOCOL.md §9).
struct Model {
    bytes32 onnxSha256;
    address owner;
    uint16 royaltyBps;
    string uri;
    string spec;
}
