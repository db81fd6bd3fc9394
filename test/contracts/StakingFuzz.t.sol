// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {NodeStaking} from "../../contracts/staking/NodeStaking.sol";
import {INodeStaking} from "../../contracts/interfaces/INodeStaking.sol";
import {StakingBase} from "./base/StakingBase.t.sol";

/// @notice Fuzz tests of NodeStaking's arithmetic (stake, unstake, lock and slash amounts) and of the cooldown of
///         PROTOCOL.md §1 under random sequences of stake changes, role changes, parameter changes and time.
contract StakingFuzzTest is StakingBase {
    /// @dev Sets up a node with `staked` staked, then `unbonding` requested and `locked` locked.
    function _setUpNode(uint256 staked, uint256 unbonding, uint256 locked)
        internal
        returns (uint256 s, uint256 u, uint256 l)
    {
        s = bound(staked, 1, FUNDS);
        u = bound(unbonding, 0, s);
        l = bound(locked, 0, s - u);
        _stake(alice, s, COMPUTE);
        if (u != 0) _unstake(alice, u);
        if (l != 0) _lock(alice, l);
        s -= u;
    }

    function testFuzz_stake_accountsExactly(uint256 first, uint256 second, uint8 roles) public {
        first = bound(first, 1, FUNDS / 2);
        second = bound(second, 0, FUNDS / 2);
        roles = uint8(bound(roles, 1, 3));
        _stake(alice, first, roles);
        _stake(alice, second, roles);
        assertEq(staking.stakeOf(alice), first + second);
        assertEq(token.balanceOf(address(staking)), first + second);
        assertEq(token.balanceOf(alice), FUNDS - first - second);
        assertEq(staking.isActive(alice, roles), first + second >= MIN);
        uint256 active = first + second >= MIN ? 1 : 0;
        _assertCounts(active, (roles & COMPUTE) != 0 ? active : 0, (roles & VALIDATOR) != 0 ? active : 0);
    }

    function testFuzz_requestUnstake_conservesAndBoundsByUnlocked(
        uint256 staked,
        uint256 locked,
        uint256 amount
    ) public {
        uint256 s = bound(staked, 1, FUNDS);
        uint256 l = bound(locked, 0, s);
        amount = bound(amount, 1, FUNDS);
        _stake(alice, s, VALIDATOR);
        if (l != 0) _lock(alice, l);
        if (amount > s - l) {
            vm.expectRevert(
                abi.encodeWithSelector(INodeStaking.NodeStakingInsufficientUnlocked.selector, amount, s - l)
            );
            _unstake(alice, amount);
            return;
        }
        _unstake(alice, amount);
        (uint256 unbonding, uint64 releaseTime) = staking.unbondingOf(alice);
        assertEq(staking.stakeOf(alice) + unbonding, s, "stake + unbonding is conserved");
        assertEq(unbonding, amount);
        assertEq(releaseTime, block.timestamp + 7 days);
        assertEq(staking.lockedOf(alice), l);
        assertLe(staking.lockedOf(alice), staking.stakeOf(alice));
        assertEq(staking.isActive(alice, 0), s - amount >= MIN);
    }

    function testFuzz_lockBond_roundTrip(uint256 staked, uint256 a, uint256 b) public {
        uint256 s = bound(staked, 1, FUNDS);
        a = bound(a, 0, s);
        b = bound(b, 0, s - a);
        _stake(alice, s, COMPUTE);
        _lock(alice, a);
        _lock(alice, b);
        assertEq(staking.lockedOf(alice), a + b);
        assertEq(staking.unlockedOf(alice), s - a - b);
        _release(alice, b);
        _release(alice, a);
        assertEq(staking.lockedOf(alice), 0);
        assertEq(staking.stakeOf(alice), s);
    }

    function testFuzz_slash_neverExceedsHoldingsAndConserves(
        uint256 staked,
        uint256 unbonding,
        uint256 locked,
        uint256 bond,
        uint256 bps
    ) public {
        (uint256 s, uint256 u, uint256 l) = _setUpNode(staked, unbonding, locked);
        bond = bound(bond, 0, 2 * FUNDS);
        bps = bound(bps, 0, 10_000);
        uint256 held = token.balanceOf(address(staking));

        uint256 slashed = _slash(alice, bond, bps);

        (uint256 u2,) = staking.unbondingOf(alice);
        uint256 s2 = staking.stakeOf(alice);
        uint256 l2 = staking.lockedOf(alice);
        // Expected, straight from PROTOCOL.md §4.10.
        uint256 fromBond = bond < l ? bond : l;
        uint256 rest = ((s - l) + u) * bps / 10_000;
        assertEq(slashed, fromBond + rest, "slashed = bond + bps of (stake - locked + unbonding)");
        assertLe(slashed, s + u, "never more than the node has");
        assertEq(s2 + u2 + slashed, s + u, "conservation");
        assertEq(l2, l - fromBond, "only the bond leaves the locked amount");
        assertLe(l2, s2, "locked <= stake");
        uint256 fromStake = rest < s - l ? rest : s - l;
        assertEq(s2, s - fromBond - fromStake, "unlocked stake is taken before unbonding");
        assertEq(u2, u - (rest - fromStake));
        assertEq(token.balanceOf(sink), slashed);
        assertEq(token.balanceOf(address(staking)), held - slashed);
        assertEq(staking.isActive(alice, 0), s2 >= MIN, "a slash re-evaluates activity");
    }

    function testFuzz_slash_fullBpsLeavesOnlyOtherBonds(uint256 staked, uint256 unbonding, uint256 locked, uint256 bond)
        public
    {
        (uint256 s, uint256 u, uint256 l) = _setUpNode(staked, unbonding, locked);
        bond = bound(bond, 0, l);
        uint256 slashed = _slash(alice, bond, 10_000);
        assertEq(slashed, s + u - (l - bond));
        assertEq(staking.stakeOf(alice), l - bond);
        assertEq(staking.lockedOf(alice), l - bond);
        (uint256 u2,) = staking.unbondingOf(alice);
        assertEq(u2, 0);
    }

    function testFuzz_activity_judgedAgainstMinStakeOfLastChange(uint256 staked, uint256 newMin, uint256 topUp)
        public
    {
        staked = bound(staked, 1, FUNDS / 2);
        newMin = bound(newMin, 1, FUNDS);
        topUp = bound(topUp, 0, FUNDS / 2);
        _stake(alice, staked, BOTH);
        bool before = staked >= MIN;
        vm.prank(owner);
        staking.setMinStake(newMin);
        assertEq(staking.isActive(alice, 0), before, "a new minimum waits for the next stake change");
        _stake(alice, topUp, BOTH); // a stake change, even with topUp = 0
        bool afterChange = staked + topUp >= newMin;
        assertEq(staking.isActive(alice, BOTH), afterChange);
        assertEq(staking.stakeThresholdOf(alice), newMin);
        uint256 active = afterChange ? 1 : 0;
        _assertCounts(active, active, active);
    }

    // ------------------------------------------------------------------ cooldown

    /// @dev Ghost record of the cooldown fuzz: when the node last stopped being active and when it last stopped
    ///      holding each role while active (a drop, or a stop with the role held). Index 1 = COMPUTE, 2 = VALIDATOR.
    uint64 internal ghostStop;
    uint64[3] internal ghostRoleEnd;

    /// @dev The cooldown end the ghost expects for a call that ends with alice active and holding `roles`: the stop
    ///      + period for an inactive node, else the latest end + period of the roles added (past values included:
    ///      the caller compares with now).
    function _ghostUntil(uint8 roles) internal view returns (uint256 until) {
        uint256 period = staking.unbondingPeriod();
        if (!staking.isActive(alice, 0)) return ghostStop == 0 ? 0 : ghostStop + period;
        uint8 added = roles & ~staking.rolesOf(alice);
        for (uint8 r = 1; r <= 2; ++r) {
            if ((added & r) != 0 && ghostRoleEnd[r] != 0 && ghostRoleEnd[r] + period > until) {
                until = ghostRoleEnd[r] + period;
            }
        }
    }

    /// @dev One random step for alice: stake (0 or an amount, any roles), unstake, slash, a new minStake or
    ///      unbondingPeriod, or time; a stake call is checked against the ghost (refused iff in a cooldown).
    function _cooldownStep(uint256 r) internal {
        uint256 op = r % 8;
        uint256 x = r >> 8;
        if (op <= 2) {
            uint256 amount = op == 0 ? 0 : bound(x, 0, 15_000 ether);
            uint8 roles = uint8(bound(x >> 128, 1, 3));
            if (amount == 0 && staking.stakeOf(alice) == 0) return;
            bool endsActive = staking.stakeOf(alice) + amount >= staking.minStake();
            uint256 until = endsActive ? _ghostUntil(roles) : 0;
            vm.prank(alice);
            try staking.stake(amount, roles, "ipfs://node") {
                assertLe(until, block.timestamp, "stake accepted in a cooldown");
            } catch (bytes memory err) {
                assertGt(until, block.timestamp, "stake refused outside a cooldown");
                assertEq(
                    err,
                    abi.encodeWithSelector(INodeStaking.NodeStakingCooldown.selector, alice, uint64(until)),
                    "NodeStakingCooldown(node, until)"
                );
            }
        } else if (op == 3) {
            uint256 unlocked = staking.unlockedOf(alice);
            if (unlocked != 0) _unstake(alice, bound(x, 1, unlocked));
        } else if (op == 4) {
            _slash(alice, 0, bound(x, 0, 3_000));
        } else if (op == 5) {
            vm.prank(owner);
            staking.setMinStake(bound(x, 5_000 ether, 20_000 ether));
        } else if (op == 6) {
            vm.prank(owner);
            staking.setUnbondingPeriod(bound(x, 7 days, 14 days));
        } else {
            vm.warp(block.timestamp + bound(x, 1, 4 days));
        }
    }

    /// @dev Any sequence of stake and role changes, unstakes, slashes, minStake and unbondingPeriod changes and time:
    ///      a role never comes back, and a node never becomes active again, before its cooldown ends; `stake`
    ///      reverts NodeStakingCooldown with exactly the ghost's `until`; requestUnstake and slash never restart a node
    ///      in its cooldown; the run and role clocks start when the node or role comes back.
    function testFuzz_cooldown_noRoleOrRunComesBackEarly(uint256 seed) public {
        for (uint256 i = 0; i < 32; ++i) {
            bool wasActive = staking.isActive(alice, 0);
            bool[3] memory had = [false, staking.isActive(alice, COMPUTE), staking.isActive(alice, VALIDATOR)];
            uint256 period = staking.unbondingPeriod();
            _cooldownStep(uint256(keccak256(abi.encode(seed, i))));
            uint64 now_ = uint64(block.timestamp);
            bool active = staking.isActive(alice, 0);
            if (active && !wasActive) {
                assertTrue(ghostStop == 0 || now_ >= ghostStop + period, "restarted in its cooldown");
                assertEq(staking.activeSince(alice), now_, "a new run starts now");
                // A new run forgets the role ends of the last one (NodeStaking keeps the records of the current run
                // only): every role ended by the stop at the latest, whose cooldown has passed by the restart in the
                // period then in force. (A period raised after the restart does not revive them.)
                ghostRoleEnd[1] = 0;
                ghostRoleEnd[2] = 0;
            }
            if (!active && wasActive) ghostStop = now_;
            for (uint8 r = 1; r <= 2; ++r) {
                bool has = staking.isActive(alice, r);
                if (has && !had[r]) {
                    assertTrue(ghostRoleEnd[r] == 0 || now_ >= ghostRoleEnd[r] + period, "role back in its cooldown");
                    assertEq(staking.roleSince(alice, r), now_, "the role's clock starts now");
                }
                if (!has && had[r]) ghostRoleEnd[r] = now_;
            }
            // The view agrees with the ghost.
            uint64 view_ = staking.cooldownUntil(alice, BOTH);
            uint256 expected = _ghostUntil(BOTH);
            assertEq(view_, expected > now_ ? expected : 0, "cooldownUntil");
        }
    }
}
