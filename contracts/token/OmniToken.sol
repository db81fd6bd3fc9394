// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title OmniToken (OMNIT)
/// @notice The OmniTensor network token: fixed supply minted once to the treasury, with
///         EIP-2612 permits (one-transaction task creation) and ERC20Votes (governance).
contract OmniToken is ERC20, ERC20Permit, ERC20Votes {
    /// @notice The whole supply: 1,000,000,000 OMNIT.
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    /// @notice The treasury address is zero.
    error OmniTokenZeroTreasury();

    /// @param treasury receives the whole supply.
    constructor(address treasury) ERC20("OmniTensor", "OMNIT") ERC20Permit("OmniTensor") {
        if (treasury == address(0)) revert OmniTokenZeroTreasury();
        _mint(treasury, TOTAL_SUPPLY);
    }

    // ---- required overrides ----

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
