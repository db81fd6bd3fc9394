// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

// Types shared by TaskManager, its libraries, bots and outside tests (PROTOCOL.md §4, §9).

/// @notice A task's status. Seating, Verifying, Revealing and AwaitingFinalize are derived from time
///         (`statusOf`); storage holds `Seating` for every open task.
enum TaskStatus {
    None,
    Seating,
    Verifying,
    Revealing,
    AwaitingFinalize,
    Finalized,
    Unresolved,
    Cancelled
}

/// @notice What `createTask` takes (PROTOCOL.md §4.1).
struct TaskRequest {
    bytes32 modelId;
    bytes input;
    string inputURI;
    bytes32 inputHash;
    uint256 reward;
    uint8 redundancy;
    bytes32 resultKey;
    address callback;
    uint32 callbackGasLimit;
    address disputer;
}

/// @notice An EIP-712 signed commitment
///         (`Commit(uint256 taskId,uint8 place,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)`): `place`
///         (1 seat, 2 verifier, 3 juror) is the place the node signed for; a commit that would take another is refused.
struct SignedCommit {
    uint256 taskId;
    address node;
    uint8 place;
    bytes32 commitment;
    bytes sealedOutput;
    uint256 deadline;
    bytes signature;
}

/// @notice One task as `getTask` returns it: a memory view, never stored. Amounts in OMNIT wei (uint128: the whole
///         supply is 1e27 < 2^128), times in seconds, counts of nodes. The fields follow the storage order of
///         `TaskData` (whose packing decides the slots createTask writes), plus the derived `m`,
///         `acceptedOutputHash` and `verifierPay`; `seatValidators` is internal.
struct Task {
    // slot: who, when, what state
    address requester;
    uint64 createdAt;
    uint8 redundancy;
    TaskStatus status;
    bool delivered;
    // slot
    address disputer;
    uint64 seatDeadline;
    bytes32 modelId;
    bytes32 inputHash;
    bytes32 resultKey;
    // slot
    address callback;
    uint32 callbackGasLimit;
    uint64 verifyDeadline;
    // slot: the other deadlines and the copied seat step
    uint64 disputeDeadline;
    uint64 commitDeadline;
    uint64 revealDeadline;
    uint64 seatStep;
    // slot: parameters copied at creation (a later change never applies to this task) and the snapshot C
    uint32 seatFactor;
    uint32 expectedVerifiers;
    uint32 jurySize;
    uint16 verifierFeeBps;
    uint16 royaltyBps;
    uint16 slashBps;
    uint16 noRevealSlashBps;
    uint16 liquidatorBountyBps;
    uint64 computeCount;
    // slot: the royalty's payee and the snapshot V
    address modelOwner;
    uint64 validatorCount;
    // the liquidation deadline (revealDeadline + the copied liquidationWindow, §4.10) and the jury seed's deadline
    // (createdAt + commitWindow − seatWindow: absent jurors are liable only for a jury seed stored by then, §4.6)
    uint64 liquidationDeadline;
    uint64 juryDeadline;
    // slots: amounts
    uint128 reward;
    uint128 workerShare;
    uint128 minCommitBond;
    uint128 bond;
    // slot: the blocks whose successors' hashes fix the seeds (0: not asked for; a re-anchor moves them), and the
    // dispute's time
    uint64 seatSeedBlock;
    uint64 verifierSeedBlock;
    uint64 jurySeedBlock;
    uint64 disputedAt;
    // seeds: zero until stored
    bytes32 seatSeed;
    bytes32 verifierSeed;
    bytes32 jurySeed;
    // slot: the dispute and commit counts
    address disputeBondPayer;
    bool disputed;
    bool juryLiable; // the jury seed was stored at or before juryDeadline: absent jurors are liable
    uint32 committedVerifiers;
    uint32 committedJurors;
    // slot
    uint128 disputeBond;
    uint32 liveCommitments;
    uint32 revealedCount;
    uint32 revealedSeats;
    uint32 revealedVerifiers;
    // live seat holders (voided seats are replaced in place)
    address[] seatHolders;
    // tally (PROTOCOL.md §5): the leading hash, its votes n, the other reveals m, whether the lead is tied
    bytes32 leader;
    uint32 n;
    uint32 m;
    bool tied;
    uint8 payMode;
    bytes32 acceptedOutputHash;
    // settlement (set at finalize; perWinner and slashRemainder grow with liquidations)
    uint128 verifierPay;
    uint128 bondShare;
    uint128 perWinner;
    uint128 slashRemainder;
}

/// @notice How TaskManager stores a task: the fields of `Task` (same names and meanings), packed differently so that
///         the hot paths write fewer slots; plus `seatValidators`. Internal only: `getTask` returns a `Task`.
struct TaskData {
    // slot: who, when, what state
    address requester;
    uint64 createdAt;
    uint8 redundancy;
    TaskStatus status;
    bool delivered;
    uint8 seatValidators; // live seat holders that were members of V when they committed (p of §5, seats)
    // slot
    address disputer;
    uint64 seatDeadline;
    bytes32 modelId;
    bytes32 inputHash;
    bytes32 resultKey;
    // slot
    address callback;
    uint32 callbackGasLimit;
    uint64 verifyDeadline;
    // slot: the other deadlines and the copied seat step
    uint64 disputeDeadline;
    uint64 commitDeadline;
    uint64 revealDeadline;
    uint64 seatStep;
    // slot: parameters copied at creation (a later change never applies to this task) and the snapshot C
    uint32 seatFactor;
    uint32 expectedVerifiers;
    uint32 jurySize;
    uint16 verifierFeeBps;
    uint16 royaltyBps;
    uint16 slashBps;
    uint16 noRevealSlashBps;
    uint16 liquidatorBountyBps;
    uint64 computeCount;
    bool tied; // the tally's tie flag and the settlement mode live in this slot, non-zero since createTask
    uint8 payMode;
    // slot: the royalty's payee, the snapshot V and the copied liquidationWindow (≤ 3 days < 2^32 s)
    address modelOwner;
    uint64 validatorCount;
    uint32 liquidationWindow;
    // slots: amounts
    uint128 reward;
    uint128 workerShare;
    uint128 minCommitBond;
    uint128 bond;
    // slot: the blocks whose successors' hashes fix the seeds (0: not asked for; a re-anchor moves them), and the
    // dispute's time
    uint64 seatSeedBlock;
    uint64 verifierSeedBlock;
    uint64 jurySeedBlock;
    uint64 disputedAt;
    // seeds: zero until stored
    bytes32 seatSeed;
    bytes32 verifierSeed;
    bytes32 jurySeed;
    // slot: the dispute and commit counts
    address disputeBondPayer;
    bool disputed;
    bool juryLiable; // the jury seed was stored at or before createdAt + commitWindow − seatWindow (§4.6)
    uint32 committedVerifiers;
    uint32 committedJurors;
    // slot
    uint96 disputeBond; // = the reward ≤ 2^96 − 1
    uint32 liveCommitments;
    uint32 revealedCount;
    uint32 revealedSeats;
    uint32 revealedVerifiers;
    uint32 n; // the leader's votes; m of `Task` is revealedCount − n
    // live seat holders (voided seats are replaced in place)
    address[] seatHolders;
    // tally (PROTOCOL.md §5): the leading hash (n, tied: above). A Finalized task's acceptedOutputHash is its
    // leader (reveals stop before finalize): not stored again.
    bytes32 leader;
    // settlement (set at finalize; perWinner and slashRemainder grow with liquidations; verifierPay is stored in
    // the leader's TallyData)
    uint128 bondShare;
    uint128 perWinner;
    uint128 slashRemainder;
}
/// @notice How TaskManager stores a `HashTally`, plus (in the leader's record only) the task's verifierPay: finalize
///         writes it into a slot that the reveals already made non-zero. Internal only: `tallyOf` returns a HashTally.
struct TallyData {
    uint32 votes;
    uint32 verifierVotes;
    uint32 seatVotes;
    uint128 verifierPay;
}


/// @notice One node's commitment in one task.
struct Commitment {
    bytes32 commitment;
    bytes32 outputHash;
    uint128 bond;
    uint8 place;
    bool voided;
    bool revealed;
    bool validatorRole;
    bool claimed;
    bool bondReleased;
    uint256 claimedPerWinner;
}

/// @notice One entry of `revealBatch` (PROTOCOL.md §4.7, §9).
struct Reveal {
    uint256 taskId;
    address node;
    bytes32 outputHash;
    bytes32 salt;
}

/// @notice A node's reputation counters (PROTOCOL.md §4.13), updated in O(1) by the calls that decide them: the five
///         counts share one slot (uint32: 4 billion tasks per node), `earned` (a sum of credits) has its own.
struct Reputation {
    uint32 commitments; // live commitments made (any place); a displaced seat's is taken back
    uint32 revealed; // commitments revealed
    uint32 agreed; // revealed the accepted hash of a Finalized task (counted at the node's first claim in it)
    uint32 wrong; // liquidated for a wrong hash
    uint32 silent; // liquidated for silence or as an absent juror
    uint256 earned; // every amount a claim credits to it, plus every bounty credited to it; never refunds
}

/// @notice Reveals of one hash in one task: all of them, those by sampled verifiers and jurors, those by seats.
struct HashTally {
    uint32 votes;
    uint32 verifierVotes;
    uint32 seatVotes;
}

/// @notice The TaskManager's parameters (PROTOCOL.md §3), packed.
struct Params {
    uint64 seatWindow;
    uint64 verifyWindow;
    uint64 disputeWindow;
    uint64 commitWindow;
    uint64 revealWindow;
    uint64 seatStep;
    uint32 jurySize;
    uint32 seatFactor;
    uint32 expectedVerifiers;
    uint32 bondMultiplier;
    uint16 slashBps;
    uint16 noRevealSlashBps;
    uint16 liquidatorBountyBps;
    uint16 verifierFeeBps;
    uint8 maxRedundancy;
    uint32 maxCallbackGas;
    uint32 liquidationWindow;
    uint128 minCommitBond;
    uint128 minReward;
}

/// @notice All TaskManager storage that its libraries act on.
struct TaskState {
    uint256 taskCount;
    uint256 pool;
    Params params;
    mapping(uint256 taskId => TaskData) tasks;
    mapping(uint256 taskId => mapping(address node => Commitment)) commits;
    mapping(uint256 taskId => mapping(bytes32 outputHash => TallyData)) tallies;
    mapping(uint256 taskId => mapping(address node => bool)) liquidated;
    mapping(address account => uint256) credits;
    mapping(address node => Reputation) reputation;
}

/// @dev Role bits (NodeStaking's public ROLE_COMPUTE / ROLE_VALIDATOR are these) and the basis-point denominator
///      (Payouts, NodeStaking.BPS): declared here once.
uint8 constant ROLE_COMPUTE = 1;
uint8 constant ROLE_VALIDATOR = 2;
/// @dev Seed kinds and places (PROTOCOL.md §4.1, §9).
uint8 constant KIND_SEATS = 1;
uint8 constant KIND_VERIFIERS = 2;
uint8 constant KIND_JURY = 3;
uint8 constant PLACE_SEAT = 1;
uint8 constant PLACE_VERIFIER = 2;
uint8 constant PLACE_JUROR = 3;
/// @dev Settlement modes: nobody paid for a hash, the holders of `leader` paid, every revealed node paid.
uint8 constant PAY_NONE = 0;
uint8 constant PAY_LEADER = 1;
uint8 constant PAY_ANY = 2;
/// @dev Basis points: 10,000 = 100 %.
uint256 constant BPS = 10_000;
