// PROTOCOL.md §7: the off-chain encodings shared by the bots, the SDK and the tests. Pure functions.
export { OmniTensorError, ProtocolEncodingError, SealedOutputError } from "./errors.ts";
export { commitmentOf, outputHashOf } from "./commitment.ts";
export {
  COMMIT_TYPES,
  SALT_TYPES,
  TASK_MANAGER_DOMAIN_NAME,
  TASK_MANAGER_DOMAIN_VERSION,
  commitDigest,
  saltDigest,
  signCommit,
  taskManagerDomain,
  toLocalAccount,
  type CommitMessage,
  type NodeSigner,
  type SignedCommit,
  type TaskManagerDomain,
  type TaskManagerDomainInput,
} from "./eip712.ts";
export { deriveSalt, normalizeSignature, saltFromSignature, type SaltSignature } from "./salt.ts";
export {
  EPHEMERAL_KEY_BYTES,
  MIN_SEALED_BYTES,
  NONCE_BYTES,
  SEALED_OUTPUT_INFO,
  TAG_BYTES,
  generateResultKey,
  openSealedOutput,
  resultKeyOf,
  sealOutput,
  type OpenedOutput,
  type ResultKeyPair,
} from "./sealed.ts";
