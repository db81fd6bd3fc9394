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

/// @notice How TaskManager stores a task (docs/gas.md): only what the contract reads again, in as few slots as the
///         rules need. createTask writes slots 0–2 (and the callback and disputer slots only when they are non-zero);
///         the first commit writes slot 3. The copied parameters of §3 are not copied: `paramsId` names the entry of
///         the append-only parameter history (`TaskState.paramSets`) in force at creation, and every deadline, the
///         worker share and the bond derive from it, `createdAt`, `reward`, `royaltyBps` and `redundancy`. The model
///         id, the input hash and the result key are read by nobody on chain: they live in TaskCreated only.
///         Internal only: `getTask` returns a `Task`.
struct TaskData {
    // slot 0 (createTask): who, when, what state
    address requester;
    uint40 createdAt; // seconds: uint40 lasts until the year 36,812
    uint8 redundancy;
    TaskStatus status;
    uint16 paramsId; // index into paramSets (at most 65,536 parameter sets)
    uint16 royaltyBps; // the model's royalty, copied (a model's royalty is fixed, its copy keeps §3's promise anyway)
    bool delivered;
    // slot 1 (createTask): the royalty's payee and the escrow
    address modelOwner;
    uint96 reward; // ≤ 2^96 − 1 (checked at creation); the dispute bond equals it
    // slot 2 (createTask): the snapshots C and V, the seed blocks (0: not asked for; a re-anchor moves them), the
    // seat count and p's seat part, the flags, and the tally's leader (the id of its hash, see `hashes`)
    uint32 computeCount;
    uint32 validatorCount;
    uint40 seatSeedBlock;
    uint40 verifierSeedBlock;
    uint40 jurySeedBlock;
    uint8 seatCount; // live seat holders (≤ maxRedundancy ≤ 10)
    uint8 seatValidators; // live seat holders that were members of V when they committed (p of §5, seats)
    bool disputed;
    bool juryLiable; // the jury seed was stored at or before createdAt + commitWindow − seatWindow (§4.6)
    bool tied;
    uint8 payMode;
    uint16 leaderId; // the leading hash's id (0: no reveal yet)
    // slot 3 (first commit): the seat list and the counters (uint16: a task's places are ~ redundancy +
    // expectedVerifiers + jurySize ≤ 330 expected; checked arithmetic reverts far above that)
    address seatHead; // the seat holders are a list through CommitData.nextSeat
    uint16 liveCommitments;
    uint16 committedVerifiers;
    uint16 committedJurors;
    uint16 revealedSeats;
    uint16 revealedVerifiers;
    uint16 n; // the leader's votes; revealedCount = revealedSeats + revealedVerifiers, m = revealedCount − n
    // slot 4 (only when a callback is given)
    address callback;
    uint32 callbackGasLimit;
    // slot 5 (only when a disputer is given)
    address disputer;
    // slot 6 (dispute)
    address disputeBondPayer;
    uint40 disputedAt;
    // seeds: zero until stored
    bytes32 seatSeed;
    bytes32 verifierSeed;
    bytes32 jurySeed;
    // settlement: written only when non-zero (a forfeited dispute bond, liquidations)
    uint128 bondShare;
    uint128 perWinner;
    uint128 slashRemainder;
}

/// @notice How TaskManager stores a `HashTally`: the counts, the hash's id in the task (see `TaskState.hashes`) and,
///         in the leader's record only, the task's verifierPay (finalize writes it into a slot the reveals already
///         made non-zero). Internal only: `tallyOf` returns a HashTally.
struct TallyData {
    uint32 votes;
    uint32 verifierVotes;
    uint32 seatVotes;
    uint16 id;
    uint128 verifierPay;
}

/// @notice How TaskManager stores a commitment: the commitment hash, and one slot of the rest (written by commit,
///         updated in place by reveal and claim), plus a third slot only for jurors (their bond may be less than the
///         task's) and for winners paid from liquidations. A seat's or sampled verifier's bond is the task's bond.
///         Internal only: `commitmentOf` returns a `Commitment`.
struct CommitData {
    bytes32 commitment;
    address nextSeat; // the next live seat holder of the task's seat list (seats only)
    uint16 hashId; // the revealed hash's id (see TaskState.hashes)
    uint8 place;
    bool voided;
    bool revealed;
    bool validatorRole;
    bool claimed;
    bool bondReleased;
    uint128 jurorBond;
    uint128 claimedPerWinner;
}

/// @notice How TaskManager stores a node's reputation: one slot (earned saturates at 2^96 − 1 wei, 79 times the
///         whole OMNIT supply). Internal only: `reputationOf` returns a `Reputation`.
struct RepData {
    uint32 commitments;
    uint32 revealed;
    uint32 agreed;
    uint32 wrong;
    uint32 silent;
    uint96 earned;
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

/// @notice The TaskManager's parameters (PROTOCOL.md §3), packed in three slots: one entry of the append-only history
///         `TaskState.paramSets`. Windows are seconds (commitWindow + revealWindow ≤ 3 days < 2^32).
struct Params {
    // slot 0: the windows, the seat step and the draw sizes (what commits and seeds read)
    uint32 seatWindow;
    uint32 verifyWindow;
    uint32 disputeWindow;
    uint32 commitWindow;
    uint32 revealWindow;
    uint32 seatStep;
    uint32 liquidationWindow;
    uint8 seatFactor;
    uint8 expectedVerifiers;
    uint8 jurySize;
    // slot 1: the bps, the bond's terms and the bounds of a request
    uint16 slashBps;
    uint16 noRevealSlashBps;
    uint16 liquidatorBountyBps;
    uint16 verifierFeeBps;
    uint16 bondMultiplier;
    uint8 maxRedundancy;
    uint32 maxCallbackGas;
    uint128 minCommitBond;
    // slot 2
    uint128 minReward;
}

/// @notice All TaskManager storage that its libraries act on.
struct TaskState {
    uint64 taskCount;
    uint16 paramsId; // the entry of paramSets in force (the last one)
    uint256 pool;
    mapping(uint256 id => Params) paramSets; // append-only: a setter that changes a value adds an entry
    mapping(uint256 taskId => TaskData) tasks;
    mapping(uint256 taskId => mapping(address node => CommitData)) commits;
    mapping(uint256 taskId => mapping(bytes32 outputHash => TallyData)) tallies;
    mapping(uint256 taskId => mapping(uint256 id => bytes32 outputHash)) hashes; // the revealed hashes by id
    mapping(uint256 taskId => mapping(address node => bool)) liquidated;
    mapping(address account => uint256) credits; // credit + 1 once an account was ever credited (0: never)
    mapping(address node => RepData) reputation;
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
