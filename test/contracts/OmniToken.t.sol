// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {OmniToken} from "../../contracts/token/OmniToken.sol";

contract OmniTokenTest is Test {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    OmniToken internal token;
    address internal treasury = makeAddr("treasury");
    address internal spender = makeAddr("spender");
    address internal holder;
    uint256 internal holderKey;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new OmniToken(treasury);
        (holder, holderKey) = makeAddrAndKey("holder");
        vm.prank(treasury);
        token.transfer(holder, 1_000 ether);
    }

    function test_constructor_setsMetadata() public view {
        assertEq(token.name(), "OmniTensor");
        assertEq(token.symbol(), "OMNIT");
        assertEq(token.decimals(), 18);
    }

    function test_constructor_mintsWholeSupplyToTreasury() public {
        OmniToken fresh = new OmniToken(treasury);
        assertEq(fresh.totalSupply(), 1_000_000_000 ether);
        assertEq(fresh.TOTAL_SUPPLY(), 1_000_000_000 ether);
        assertEq(fresh.balanceOf(treasury), 1_000_000_000 ether);
    }

    function test_constructor_revertsOnZeroTreasury() public {
        vm.expectRevert(OmniToken.OmniTokenZeroTreasury.selector);
        new OmniToken(address(0));
    }

    function _permitDigest(address owner_, address spender_, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner_, spender_, value, nonce, deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    function test_permit_setsAllowanceFromSignature() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(holderKey, _permitDigest(holder, spender, 500 ether, 0, deadline));
        token.permit(holder, spender, 500 ether, deadline, v, r, s);
        assertEq(token.allowance(holder, spender), 500 ether);
        assertEq(token.nonces(holder), 1);

        vm.prank(spender);
        token.transferFrom(holder, spender, 500 ether);
        assertEq(token.balanceOf(spender), 500 ether);
    }

    function test_permit_revertsOnReplay() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(holderKey, _permitDigest(holder, spender, 1 ether, 0, deadline));
        token.permit(holder, spender, 1 ether, deadline, v, r, s);
        vm.expectRevert();
        token.permit(holder, spender, 1 ether, deadline, v, r, s);
    }

    function test_permit_revertsAfterDeadline() public {
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(holderKey, _permitDigest(holder, spender, 1 ether, 0, deadline));
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(holder, spender, 1 ether, deadline, v, r, s);
    }

    function test_permit_revertsForWrongSigner() public {
        (, uint256 otherKey) = makeAddrAndKey("other");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(otherKey, _permitDigest(holder, spender, 1 ether, 0, deadline));
        vm.expectRevert();
        token.permit(holder, spender, 1 ether, deadline, v, r, s);
        assertEq(token.allowance(holder, spender), 0);
    }

    function test_delegate_givesVotesThatFollowTransfers() public {
        assertEq(token.getVotes(holder), 0, "no votes before delegating");
        vm.prank(holder);
        token.delegate(holder);
        assertEq(token.getVotes(holder), 1_000 ether);
        assertEq(token.delegates(holder), holder);

        vm.prank(holder);
        token.transfer(spender, 400 ether);
        assertEq(token.getVotes(holder), 600 ether);
        assertEq(token.getVotes(spender), 0, "undelegated balance carries no votes");

        vm.prank(spender);
        token.delegate(holder);
        assertEq(token.getVotes(holder), 1_000 ether);
    }

    function test_getPastVotes_readsCheckpoints() public {
        vm.prank(holder);
        token.delegate(holder);
        uint256 t1 = block.timestamp;
        vm.warp(t1 + 10);
        vm.roll(block.number + 10);
        vm.prank(holder);
        token.transfer(spender, 1_000 ether);
        vm.warp(t1 + 20);
        vm.roll(block.number + 10);
        // ERC20Votes' default clock is the block number.
        assertEq(token.getPastVotes(holder, block.number - 11), 1_000 ether);
        assertEq(token.getPastVotes(holder, block.number - 1), 0);
    }
}
