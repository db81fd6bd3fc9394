import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the four OmniTensor contracts (PROTOCOL.md §2, §10):
 * OmniToken(treasury) → NodeStaking(token, owner) → ModelRegistry() → the three TaskManager libraries →
 * TaskManager(token, staking, registry, treasury, owner) linked to them → NodeStaking.setTaskManager(taskManager).
 *
 * Parameters (module "OmniTensor"): `treasury` (default: the deployer) receives the whole OMNIT supply and is the
 * TaskManager's treasury. The deployer is the first owner of NodeStaking and TaskManager (it must make the
 * owner-only setTaskManager call here); hand ownership to a timelock later with transferOwnership (Ownable2Step).
 */
const OmniTensorModule = buildModule("OmniTensor", (m) => {
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
  m.call(staking, "setTaskManager", [taskManager]);

  return { token, staking, registry, taskManager };
});

export default OmniTensorModule;
