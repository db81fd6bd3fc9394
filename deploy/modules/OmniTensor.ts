import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  AccountRuntimeValue,
  CallableContractFuture,
  ContractCallFuture,
  IgnitionModuleBuilder,
  ModuleParameterRuntimeValue,
} from "@nomicfoundation/ignition-core";
import { keccak256, toHex, zeroHash } from "viem";

/**
 * Deploys OmniTensor (PROTOCOL.md §2, §10):
 *
 *   OmniToken(treasury) → NodeStaking(token, deployer) → ModelRegistry() → the three TaskManager libraries
 *   → TaskManager(token, staking, registry, treasury, deployer) linked to them → NodeStaking.setTaskManager
 *   → TimelockController → OmniGovernor(token, timelock, …) → the timelock grants the governor
 *     PROPOSER_ROLE, CANCELLER_ROLE and EXECUTOR_ROLE
 *   [handover only] → the timelock becomes the owner of NodeStaking and TaskManager, and the deployer
 *     leaves every timelock role (see `handOver` below).
 *
 * Two module objects with the same id "OmniTensor" (so the parameters below are given under
 * "OmniTensor" either way): `OmniTensorModule` (the default export: local devnets and tests; the
 * deployer stays owner and timelock admin, so scripts can change parameters at once) and
 * `OmniTensorHandoverModule` (every other network, and local chains with HANDOVER=1: governance owns
 * the protocol when the deployment ends). scripts/deploy.ts picks one; docs/governance.md explains both.
 *
 * Parameters (module "OmniTensor"; defaults in GOVERNANCE_DEFAULTS, sane for a public testnet with
 * ~12-second blocks; deploy/parameters/localhost.json has tiny ones for a local chain):
 *   treasury           (default: the deployer) receives the whole OMNIT supply and is the TaskManager's treasury
 *   votingDelay        blocks from a proposal to its vote snapshot (OMNIT's clock is the block number)
 *   votingPeriod       blocks a vote stays open
 *   proposalThreshold  votes (OMNIT wei) needed to propose
 *   quorumPercent      percentage of the OMNIT supply (at the snapshot) that must vote for or abstain
 *   timelockDelay      seconds between queueing a passed proposal and executing it
 */

/** Governance parameters' defaults (public testnet, ~12-second blocks). */
export const GOVERNANCE_DEFAULTS = {
  /** ~1 hour. */
  votingDelay: 300n,
  /** ~1 day. */
  votingPeriod: 7_200n,
  /** 100,000 OMNIT: 0.01 % of the supply. */
  proposalThreshold: 100_000n * 10n ** 18n,
  quorumPercent: 4n,
  /** 1 day (seconds). */
  timelockDelay: 86_400n,
} as const;

/** The TimelockController's role ids (keccak256 of the name; the admin role is 0x00…). */
export const TIMELOCK_ROLES = {
  PROPOSER_ROLE: keccak256(toHex("PROPOSER_ROLE")),
  EXECUTOR_ROLE: keccak256(toHex("EXECUTOR_ROLE")),
  CANCELLER_ROLE: keccak256(toHex("CANCELLER_ROLE")),
  DEFAULT_ADMIN_ROLE: zeroHash,
} as const;

/** The salt of the one timelock operation the deployer schedules (the handover batch). */
export const HANDOVER_SALT = keccak256(toHex("OmniTensor handover"));

type Contract = CallableContractFuture<string>;

/**
 * The handover, with no vote and no waiting: the timelock was deployed with delay 0 and the deployer
 * as its only proposer and executor. The owners offer ownership (Ownable2Step), then the deployer
 * schedules and at once executes ONE batch through the timelock: acceptOwnership on NodeStaking and
 * TaskManager, and updateDelay(timelockDelay) on the timelock itself (only the timelock may call it).
 * From then on every operation waits timelockDelay. Last, the deployer gives up its proposer,
 * canceller and executor roles and renounces the admin role: the governor is the only way in.
 */
function handOver(
  m: IgnitionModuleBuilder,
  c: { staking: Contract; taskManager: Contract; timelock: Contract },
  deployer: AccountRuntimeValue,
  timelockDelay: ModuleParameterRuntimeValue<bigint>,
  after: ContractCallFuture<string, string>[],
): void {
  const { staking, taskManager, timelock } = c;
  const offers = [
    m.call(staking, "transferOwnership", [timelock], { id: "NodeStaking_offerOwnership", after }),
    m.call(taskManager, "transferOwnership", [timelock], { id: "TaskManager_offerOwnership", after }),
  ];
  const targets = [staking, taskManager, timelock];
  const values = [0n, 0n, 0n];
  const payloads = [
    m.encodeFunctionCall(staking, "acceptOwnership", [], { id: "NodeStaking_acceptOwnership" }),
    m.encodeFunctionCall(taskManager, "acceptOwnership", [], { id: "TaskManager_acceptOwnership" }),
    m.encodeFunctionCall(timelock, "updateDelay", [timelockDelay], { id: "Timelock_updateDelay" }),
  ];
  const schedule = m.call(
    timelock,
    "scheduleBatch",
    [targets, values, payloads, zeroHash, HANDOVER_SALT, 0n],
    {
      id: "Handover_schedule",
      after: offers,
    },
  );
  const execute = m.call(timelock, "executeBatch", [targets, values, payloads, zeroHash, HANDOVER_SALT], {
    id: "Handover_execute",
    after: [schedule],
  });
  const revokes = (["PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"] as const).map((role) =>
    m.call(timelock, "revokeRole", [TIMELOCK_ROLES[role], deployer], {
      id: `Deployer_revoke_${role}`,
      after: [execute],
    }),
  );
  m.call(timelock, "renounceRole", [TIMELOCK_ROLES.DEFAULT_ADMIN_ROLE, deployer], {
    id: "Deployer_renounce_admin",
    after: revokes,
  });
}

/** The protocol's four contracts and their libraries, wired; the deployer is the first owner. */
function deployProtocol(m: IgnitionModuleBuilder) {
  const deployer = m.getAccount(0);
  const treasury = m.getParameter("treasury", deployer);
  const token = m.contract("OmniToken", [treasury]);
  const staking = m.contract("NodeStaking", [token, deployer]);
  const registry = m.contract("ModelRegistry", []);

  const TaskLifecycle = m.library("TaskLifecycle");
  const TaskCommits = m.library("TaskCommits");
  const TaskSettlement = m.library("TaskSettlement");
  const taskManager = m.contract("TaskManager", [token, staking, registry, treasury, deployer], {
    libraries: { TaskLifecycle, TaskCommits, TaskSettlement },
  });

  // NodeStaking learns the TaskManager once (owner only).
  const wired = m.call(staking, "setTaskManager", [taskManager]);
  return { deployer, token, staking, registry, taskManager, wired };
}

/** The TimelockController and the OmniGovernor, and (handover) the timelock's taking over. */
function deployGovernance(m: IgnitionModuleBuilder, p: ReturnType<typeof deployProtocol>, handover: boolean) {
  const { deployer, token, staking, taskManager, wired } = p;
  const votingDelay = m.getParameter("votingDelay", GOVERNANCE_DEFAULTS.votingDelay);
  const votingPeriod = m.getParameter("votingPeriod", GOVERNANCE_DEFAULTS.votingPeriod);
  const proposalThreshold = m.getParameter("proposalThreshold", GOVERNANCE_DEFAULTS.proposalThreshold);
  const quorumPercent = m.getParameter("quorumPercent", GOVERNANCE_DEFAULTS.quorumPercent);
  const timelockDelay = m.getParameter("timelockDelay", GOVERNANCE_DEFAULTS.timelockDelay);

  // Handover: delay 0 and the deployer as sole proposer/executor until the handover batch ran.
  // Local: the final delay at once, no proposer but the governor, the deployer stays admin.
  const timelock = handover
    ? m.contract("TimelockController", [0n, [deployer], [deployer], deployer])
    : m.contract("TimelockController", [timelockDelay, [], [], deployer]);
  const governor = m.contract("OmniGovernor", [
    token,
    timelock,
    votingDelay,
    votingPeriod,
    proposalThreshold,
    quorumPercent,
  ]);
  const grants = (["PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"] as const).map((role) =>
    m.call(timelock, "grantRole", [TIMELOCK_ROLES[role], governor], { id: `Governor_grant_${role}` }),
  );
  if (handover) handOver(m, { staking, taskManager, timelock }, deployer, timelockDelay, [wired, ...grants]);
  return { timelock, governor };
}

/** "local": the deployer stays owner; "handover": the timelock owns NodeStaking and TaskManager. */
function buildOmniTensor(governance: "local" | "handover") {
  return buildModule("OmniTensor", (m) => {
    const p = deployProtocol(m);
    const { token, staking, registry, taskManager } = p;
    const { timelock, governor } = deployGovernance(m, p, governance === "handover");
    return { token, staking, registry, taskManager, timelock, governor };
  });
}

/** Local devnets and tests: the deployer stays owner of NodeStaking and TaskManager. */
export const OmniTensorModule = buildOmniTensor("local");

/** Every shared network (and local chains with HANDOVER=1): the timelock owns them when the deployment ends. */
export const OmniTensorHandoverModule = buildOmniTensor("handover");

/**
 * The protocol without governance, for EVMs before Cancun: OpenZeppelin 5.4's Governor needs
 * `mcopy`, so the shanghai build (ganache 7.9, test/support/shanghai.ts) has no OmniGovernor.
 */
export const OmniTensorCoreModule = buildModule("OmniTensor", (m) => {
  const { token, staking, registry, taskManager } = deployProtocol(m);
  return { token, staking, registry, taskManager };
});

export default OmniTensorModule;
