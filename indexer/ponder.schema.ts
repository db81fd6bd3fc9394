/**
 * The indexer's tables (Ponder `onchainTable`s: reorg-safe, rebuilt from the chain).
 * Amounts are OMNIT wei (bigint), times are chain seconds, addresses are lower-case hex.
 */
import { index, onchainTable, primaryKey } from "ponder";

/** One task (TaskManager), its clocks, counts, outcome and money. */
export const task = onchainTable(
  "task",
  (t) => ({
    id: t.bigint().primaryKey(),
    requester: t.hex().notNull(),
    modelId: t.hex().notNull(),
    reward: t.bigint().notNull(),
    redundancy: t.integer().notNull(),
    inputURI: t.text().notNull(),
    inputHash: t.hex().notNull(),
    createdAt: t.bigint().notNull(),
    createdBlock: t.bigint().notNull(),
    createdTx: t.hex().notNull(),
    seatDeadline: t.bigint().notNull(),
    verifyDeadline: t.bigint().notNull(),
    disputeDeadline: t.bigint().notNull(),
    commitDeadline: t.bigint().notNull(),
    revealDeadline: t.bigint().notNull(),
    /** Copied at creation (PROTOCOL.md §3): the verifier fee, the model's royalty, the liquidator's bounty. */
    verifierFeeBps: t.integer().notNull(),
    royaltyBps: t.integer().notNull(),
    bountyBps: t.integer().notNull(),
    /** Open until a terminal event: Finalized, Unresolved or Cancelled (the live phase follows the clocks). */
    status: t.text().notNull(),
    verifiersDrawn: t.boolean().notNull(),
    disputed: t.boolean().notNull(),
    disputedBy: t.hex(),
    disputeBond: t.bigint().notNull(),
    seats: t.integer().notNull(),
    verifiers: t.integer().notNull(),
    jurors: t.integer().notNull(),
    seatsLost: t.integer().notNull(),
    reveals: t.integer().notNull(),
    /** Reveals of sampled verifiers and jurors, by output hash ({hash: count}): v of §6 at settlement. */
    verifierVotes: t.json().$type<Record<string, number>>().notNull(),
    /** The accepted hash (Finalized) or the leading one (Unresolved). */
    outputHash: t.hex(),
    n: t.integer(),
    m: t.integer(),
    tied: t.boolean(),
    settledAt: t.bigint(),
    liquidations: t.integer().notNull(),
    slashed: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
    bondsReleased: t.bigint().notNull(),
    delivered: t.boolean().notNull(),
    callbackFailed: t.boolean().notNull(),
    updatedAt: t.bigint().notNull(),
  }),
  (t) => ({ statusIdx: index().on(t.status), requesterIdx: index().on(t.requester) }),
);

/** One node's commitment in one task (place 1 seat, 2 verifier, 3 juror). */
export const commitment = onchainTable(
  "commitment",
  (t) => ({
    taskId: t.bigint().notNull(),
    node: t.hex().notNull(),
    place: t.integer().notNull(),
    committedAt: t.bigint().notNull(),
    tx: t.hex().notNull(),
    voided: t.boolean().notNull(),
    lostTo: t.hex(),
    revealed: t.boolean().notNull(),
    outputHash: t.hex(),
    revealedAt: t.bigint(),
    claimed: t.bigint().notNull(),
    /** Claimed events (the first one counts `agreed` in a Finalized task). */
    claims: t.integer().notNull(),
    /** The bond this commitment locked (NodeStaking's BondLocked just before it). */
    bond: t.bigint().notNull(),
    bondReleased: t.bigint().notNull(),
    liquidated: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.taskId, t.node] }), nodeIdx: index().on(t.node) }),
);

/** A node (NodeStaking) with its stake and roles, and its work (TaskManager.reputationOf's counters). */
export const node = onchainTable(
  "node",
  (t) => ({
    address: t.hex().primaryKey(),
    stake: t.bigint().notNull(),
    roles: t.integer().notNull(),
    active: t.boolean().notNull(),
    activeSince: t.bigint().notNull(),
    metadataURI: t.text().notNull(),
    unstaking: t.bigint().notNull(),
    locked: t.bigint().notNull(),
    /** The node's last BondLocked amount: the bond of its next Committed (same transaction). */
    lastBond: t.bigint().notNull(),
    firstSeen: t.bigint().notNull(),
    lastActive: t.bigint().notNull(),
    commitments: t.integer().notNull(),
    revealed: t.integer().notNull(),
    agreed: t.integer().notNull(),
    wrong: t.integer().notNull(),
    silent: t.integer().notNull(),
    earned: t.bigint().notNull(),
    claimed: t.bigint().notNull(),
    slashed: t.bigint().notNull(),
    withdrawn: t.bigint().notNull(),
  }),
  (t) => ({ earnedIdx: index().on(t.earned) }),
);

/** A Liquidated event: a node's bond (and stake) taken in a task. */
export const liquidation = onchainTable(
  "liquidation",
  (t) => ({
    id: t.text().primaryKey(),
    taskId: t.bigint().notNull(),
    node: t.hex().notNull(),
    amount: t.bigint().notNull(),
    liquidator: t.hex().notNull(),
    /** "wrong" (revealed another hash), "silent" (never revealed) or "juror" (absent juror). */
    reason: t.text().notNull(),
    timestamp: t.bigint().notNull(),
    block: t.bigint().notNull(),
    tx: t.hex().notNull(),
  }),
  (t) => ({ tsIdx: index().on(t.timestamp) }),
);

/** A registered model (ModelRegistry). */
export const model = onchainTable("model", (t) => ({
  id: t.hex().primaryKey(),
  owner: t.hex().notNull(),
  onnxSha256: t.hex().notNull(),
  uri: t.text().notNull(),
  spec: t.text().notNull(),
  royaltyBps: t.integer().notNull(),
  tasks: t.integer().notNull(),
  registeredAt: t.bigint().notNull(),
}));

/** The current value of each parameter (TaskManager.ParameterSet, NodeStaking's setters, owners). */
export const parameter = onchainTable(
  "parameter",
  (t) => ({
    contract: t.text().notNull(),
    name: t.text().notNull(),
    value: t.text().notNull(),
    updatedAt: t.bigint().notNull(),
    tx: t.hex().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.contract, t.name] }) }),
);

/**
 * The TaskManager parameters a new task copies that its TaskCreated event does not carry (one row,
 * id "TaskManager"): read from the getters once, at the first task, then followed by ParameterSet.
 */
export const taskParams = onchainTable("task_params", (t) => ({
  id: t.text().primaryKey(),
  verifyWindow: t.bigint().notNull(),
  disputeWindow: t.bigint().notNull(),
  commitWindow: t.bigint().notNull(),
  verifierFeeBps: t.integer().notNull(),
  liquidatorBountyBps: t.integer().notNull(),
}));

/** Every parameter change, in order. */
export const parameterChange = onchainTable("parameter_change", (t) => ({
  id: t.text().primaryKey(),
  contract: t.text().notNull(),
  name: t.text().notNull(),
  value: t.text().notNull(),
  timestamp: t.bigint().notNull(),
  tx: t.hex().notNull(),
}));

/** Per-hour series (hour = the hour's first second, chain time). */
export const hourly = onchainTable("hourly", (t) => ({
  hour: t.bigint().primaryKey(),
  tasksCreated: t.integer().notNull(),
  tasksFinalized: t.integer().notNull(),
  tasksUnresolved: t.integer().notNull(),
  tasksCancelled: t.integer().notNull(),
  commits: t.integer().notNull(),
  slashes: t.integer().notNull(),
  slashed: t.bigint().notNull(),
  rewards: t.bigint().notNull(),
  activeNodes: t.integer().notNull(),
}));

/** Which nodes acted in which hour (makes hourly.activeNodes a distinct count). */
export const nodeHour = onchainTable(
  "node_hour",
  (t) => ({ hour: t.bigint().notNull(), node: t.hex().notNull() }),
  (t) => ({ pk: primaryKey({ columns: [t.hour, t.node] }) }),
);

/** Network totals (one row, id "network"). */
export const network = onchainTable("network", (t) => ({
  id: t.text().primaryKey(),
  tasks: t.integer().notNull(),
  finalized: t.integer().notNull(),
  unresolved: t.integer().notNull(),
  cancelled: t.integer().notNull(),
  nodes: t.integer().notNull(),
  totalStaked: t.bigint().notNull(),
  escrowed: t.bigint().notNull(),
  rewardsClaimed: t.bigint().notNull(),
  slashed: t.bigint().notNull(),
  liquidations: t.integer().notNull(),
  verificationPool: t.bigint().notNull(),
  transfers: t.integer().notNull(),
  events: t.integer().notNull(),
  lastBlock: t.bigint().notNull(),
  lastTimestamp: t.bigint().notNull(),
}));

/** Every event of every indexed contract: the timelines of tasks, nodes and accounts. */
export const event = onchainTable(
  "event",
  (t) => ({
    id: t.text().primaryKey(),
    contract: t.text().notNull(),
    name: t.text().notNull(),
    taskId: t.bigint(),
    account: t.hex(),
    args: t.json().notNull(),
    block: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
    tx: t.hex().notNull(),
  }),
  (t) => ({
    taskIdx: index().on(t.taskId),
    accountIdx: index().on(t.account),
    blockIdx: index().on(t.block),
  }),
);

/** Governance proposals (only when the deployment has a governor). */
export const proposal = onchainTable("proposal", (t) => ({
  id: t.text().primaryKey(),
  proposer: t.hex().notNull(),
  description: t.text().notNull(),
  state: t.text().notNull(),
  voteStart: t.bigint().notNull(),
  voteEnd: t.bigint().notNull(),
  forVotes: t.bigint().notNull(),
  againstVotes: t.bigint().notNull(),
  abstainVotes: t.bigint().notNull(),
  createdAt: t.bigint().notNull(),
  tx: t.hex().notNull(),
}));
