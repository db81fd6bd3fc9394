// The requester SDK (PROTOCOL.md §8): viem underneath, one action per concern, typed errors.
export * from "./errors.ts";
export {
  connect,
  defaultRpcUrl,
  sendTx,
  type ConnectOptions,
  type Deployment,
  type OmniTensorContext,
} from "./context.ts";
export { formatOmnit, parseOmnit, OMNIT_DECIMALS } from "./amounts.ts";
export { OmniTensorClient } from "./client.ts";
export { registerModel, modelIdOf, type RegisterModelParams } from "./registerModel.ts";
export {
  createTask,
  buildTaskRequest,
  type CreateTaskParams,
  type CreatedTask,
  type TaskRequestStruct,
} from "./createTask.ts";
export {
  getTask,
  statusOf,
  commitmentInfo,
  chainNow,
  TASK_STATUS,
  type TaskInfo,
  type TaskStatusName,
  type CommitmentInfo,
} from "./tasks.ts";
export {
  watchCommitments,
  readCommitments,
  checkCommitment,
  type CommitmentReport,
} from "./watchCommitments.ts";
export {
  waitForResult,
  outputsDisagree,
  disputeReasons,
  describeDisputeReasons,
  type TaskProgress,
  type DisputeReason,
  type TaskResult,
  type WaitForResultOptions,
} from "./waitForResult.ts";
export {
  dispute,
  revealFor,
  revealLateNodes,
  finalize,
  deliver,
  cancel,
  claim,
  claimBatch,
  fixSeed,
  SEED_KINDS,
  type SeedKindName,
  withdraw,
  creditOf,
  transferOmnit,
  omnitBalance,
  type LateReveal,
} from "./actions.ts";
export { InvalidTaskInputError, assertInputFitsSpec, assertJsonText, assertJsonValue } from "./inputCheck.ts";
export {
  stake,
  requestUnstake,
  withdrawUnbonded,
  nodeStatus,
  parseRoles,
  formatRoles,
  ROLE_COMPUTE,
  ROLE_VALIDATOR,
  type NodeStatus,
} from "./staking.ts";
export { defaultKeyDir, loadResultKey, resultKeyPath, saveResultKey } from "./keystore.ts";
export { generateResultKey, resultKeyOf, openSealedOutput, type ResultKeyPair } from "../protocol/sealed.ts";
export { encodeSafetensors, isSafetensorsBytes, type SafetensorsTensor } from "./safetensors.ts";
export {
  decodeGeneration,
  generateSection,
  loadTokenizer,
  modelSpec,
  parseTokenizer,
  promptInput,
  randomSeed,
  sha256Hex,
  TokenizerError,
  type Generated,
  type PromptOptions,
  type Tokenizer,
} from "./generate.ts";
