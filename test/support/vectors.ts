// The shared §7 test vectors (PROTOCOL.md §7), built and rendered here, written by
// scripts/gen-vector-test.ts and checked for staleness by test/workers/protocol/vectors.test.ts:
//   test/vectors/protocol.json            read by the TypeScript tests (and by outside tools)
//   test/contracts/ProtocolVectors.t.sol   the same vectors checked in Solidity
// Everything here is deterministic: fixed keys, RFC 6979 signatures, fixed ephemeral keys and nonces.
// Importing this module has no side effects.
import { getAddress, hexToBytes, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  commitDigest,
  commitmentOf,
  deriveSalt,
  normalizeSignature,
  outputHashOf,
  resultKeyOf,
  saltDigest,
  sealOutput,
  signCommit,
} from "../../workers/src/protocol/index.ts";
import { modelIdOf } from "../../workers/src/sdk/registerModel.ts";

/** Hardhat's default accounts #1 and #2 (public test keys, never funded anywhere real). */
export const NODE_KEYS: readonly Hex[] = [
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];
/** The domain the vectors are signed in: the Hardhat chain id and a fixed TaskManager address. */
export const VECTOR_DOMAIN = {
  chainId: 31337,
  verifyingContract: getAddress("0x00000000000000000000000000000000007a5c01"),
} as const;

export interface ProtocolVectors {
  description: string;
  domain: { name: string; version: string; chainId: number; verifyingContract: Address };
  commitments: { taskId: string; node: Address; outputHash: Hex; salt: Hex; commitment: Hex }[];
  salts: {
    privateKey: Hex;
    node: Address;
    taskId: string;
    digest: Hex;
    signature: Hex;
    r: Hex;
    s: Hex;
    v: number;
    salt: Hex;
  }[];
  commits: {
    privateKey: Hex;
    node: Address;
    taskId: string;
    place: number;
    commitment: Hex;
    sealedOutput: Hex;
    sealedOutputHash: Hex;
    deadline: string;
    digest: Hex;
    signature: Hex;
  }[];
  sealed: {
    resultPrivateKey: Hex;
    resultKey: Hex;
    ephemeralSecretKey: Hex;
    nonce: Hex;
    taskId: string;
    node: Address;
    salt: Hex;
    canonical: string;
    outputHash: Hex;
    sealed: Hex;
  }[];
  /** PROTOCOL.md §9: modelId = keccak256(abi.encode(owner, onnxSha256, keccak256(bytes(spec)))). */
  modelIds: { owner: Address; onnxSha256: Hex; spec: string; specHash: Hex; modelId: Hex }[];
}

const MAX_UINT256 = (1n << 256n) - 1n;
const fixed = (label: string): Hex => keccak256(toHex(`omnitensor test vector ${label}`));

/** Model ids (v4: the owner is part of the id): two owners of one (file, spec), another spec, a non-ASCII spec. */
function buildModelIdVectors(owners: Address[]): ProtocolVectors["modelIds"] {
  const spec =
    '{"inputs":[{"name":"x","type":"float32","dims":[1,4]}],"outputs":[{"name":"y","rule":{"op":"argmax"}}]}';
  const cases: [Address, Hex, string][] = [
    [owners[0], fixed("onnx a"), spec],
    [owners[1], fixed("onnx a"), spec],
    [owners[0], fixed("onnx a"), '{"spec":"other"}'],
    [owners[1], fixed("onnx b"), '{"note":"ünïcode ✓"}'],
  ];
  return cases.map(([owner, onnxSha256, s]) => ({
    owner,
    onnxSha256,
    spec: s,
    specHash: keccak256(toHex(s)),
    modelId: modelIdOf(owner, onnxSha256, s),
  }));
}

/** Builds every vector from the fixed inputs above. */
export async function buildVectors(): Promise<ProtocolVectors> {
  const accounts = NODE_KEYS.map((k) => privateKeyToAccount(k));
  const canonicals = [
    '{"outputs":[{"name":"label","dims":[1],"data":[3]}]}',
    '{"outputs":[{"name":"probs","dims":[1,3],"data":[9712,-188,0]},{"name":"top","dims":[1,2],"data":[0,2]}]}',
    '{"error":"INVALID_INPUT"}',
    '{"error":"FRAGILE"}',
    "",
  ];
  const taskIds = [1n, 2n, 42n, 1n << 200n, MAX_UINT256];

  const commitments: ProtocolVectors["commitments"] = [];
  taskIds.forEach((taskId, i) => {
    const node = accounts[i % accounts.length].address;
    const outputHash = outputHashOf(canonicals[i % canonicals.length]);
    const salt = fixed(`salt ${i}`);
    commitments.push({
      taskId: taskId.toString(),
      node,
      outputHash,
      salt,
      commitment: commitmentOf(taskId, node, outputHash, salt),
    });
  });
  // Edge values: all-zero fields.
  const zero = `0x${"00".repeat(32)}` as Hex;
  commitments.push({
    taskId: "0",
    node: "0x0000000000000000000000000000000000000000",
    outputHash: zero,
    salt: zero,
    commitment: commitmentOf(0n, "0x0000000000000000000000000000000000000000", zero, zero),
  });

  const salts: ProtocolVectors["salts"] = [];
  for (const [k, account] of accounts.entries()) {
    for (const taskId of [1n, 7n, MAX_UINT256]) {
      const signature = await account.signTypedData({
        domain: {
          name: "OmniTensor TaskManager",
          version: "1",
          chainId: VECTOR_DOMAIN.chainId,
          verifyingContract: VECTOR_DOMAIN.verifyingContract,
        },
        types: { Salt: [{ name: "taskId", type: "uint256" }] },
        primaryType: "Salt",
        message: { taskId },
      });
      const { r, s, v } = normalizeSignature(signature);
      salts.push({
        privateKey: NODE_KEYS[k],
        node: account.address,
        taskId: taskId.toString(),
        digest: saltDigest(VECTOR_DOMAIN, taskId),
        signature: `${r}${s.slice(2)}${v.toString(16)}` as Hex,
        r,
        s,
        v,
        salt: await deriveSalt(account, VECTOR_DOMAIN, taskId),
      });
    }
  }

  const resultPrivateKey = fixed("result key");
  const resultKey = resultKeyOf(resultPrivateKey);
  const sealed: ProtocolVectors["sealed"] = [];
  const commits: ProtocolVectors["commits"] = [];
  for (const [i, canonical] of canonicals.entries()) {
    const account = accounts[i % accounts.length];
    const taskId = i === 4 ? MAX_UINT256 : BigInt(i + 1);
    const salt = await deriveSalt(account, VECTOR_DOMAIN, taskId);
    const ephemeralSecretKey = fixed(`ephemeral ${i}`);
    const nonce = keccak256(toHex(`nonce ${i}`)).slice(0, 2 + 48) as Hex;
    const sealedOutput = sealOutput(resultKey, taskId, account.address, salt, canonical, {
      ephemeralSecretKey,
      nonce,
    });
    const outputHash = outputHashOf(canonical);
    sealed.push({
      resultPrivateKey,
      resultKey,
      ephemeralSecretKey,
      nonce,
      taskId: taskId.toString(),
      node: account.address,
      salt,
      canonical,
      outputHash,
      sealed: sealedOutput,
    });
    const commitment = commitmentOf(taskId, account.address, outputHash, salt);
    const deadline = 1_900_000_000n + BigInt(i);
    const place = (i % 3) + 1;
    const sc = await signCommit({
      account,
      domain: VECTOR_DOMAIN,
      taskId,
      place,
      commitment,
      sealedOutput,
      deadline,
    });
    const sealedOutputHash = keccak256(hexToBytes(sealedOutput));
    commits.push({
      privateKey: NODE_KEYS[i % NODE_KEYS.length],
      node: account.address,
      taskId: taskId.toString(),
      place,
      commitment,
      sealedOutput,
      sealedOutputHash,
      deadline: deadline.toString(),
      digest: commitDigest(VECTOR_DOMAIN, { taskId, place, commitment, sealedOutputHash, deadline }),
      signature: sc.signature,
    });
  }

  return {
    description:
      "PROTOCOL.md §7 vectors: commitment = keccak256(abi.encode(taskId,node,outputHash,salt)); salt = keccak256(r‖s‖v) of the " +
      "RFC 6979 EIP-712 signature of Salt(uint256 taskId); Commit digests; sealed outputs (X25519 + HKDF-SHA256 + XChaCha20-Poly1305); " +
      "model ids = keccak256(abi.encode(owner,onnxSha256,keccak256(spec))) (§9). " +
      "Generated by scripts/gen-vector-test.ts: do not edit by hand.",
    domain: { name: "OmniTensor TaskManager", version: "1", ...VECTOR_DOMAIN },
    commitments,
    salts,
    commits,
    sealed,
    modelIds: buildModelIdVectors(accounts.map((a) => a.address)),
  };
}

/** The JSON file's text. */
export function renderJson(v: ProtocolVectors): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

const lit = (s: string): string => `hex"${s.slice(2)}"`;

/** The Solidity test's text, with every vector inlined. */
export function renderSolidity(v: ProtocolVectors): string {
  const L: string[] = [];
  L.push("// SPDX-License-Identifier: MIT");
  L.push(
    "// GENERATED by scripts/gen-vector-test.ts from the same inputs as test/vectors/protocol.json: do not edit.",
  );
  L.push(
    "// Checks the TypeScript encodings of PROTOCOL.md §7 against Solidity's abi.encode, keccak256 and ecrecover.",
  );
  L.push("pragma solidity ^0.8.24;");
  L.push("");
  L.push('import {Test} from "forge-std/Test.sol";');
  L.push('import {TaskManager} from "../../contracts/tasks/TaskManager.sol";');
  L.push('import {ModelRegistry} from "../../contracts/registry/ModelRegistry.sol";');
  L.push("");
  L.push("contract ProtocolVectorsTest is Test {");
  L.push("    bytes32 internal constant DOMAIN_TYPEHASH =");
  L.push(
    '        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");',
  );
  L.push("    bytes32 internal constant COMMIT_TYPEHASH =");
  L.push(
    '        keccak256("Commit(uint256 taskId,uint8 place,bytes32 commitment,bytes32 sealedOutputHash,uint256 deadline)");',
  );
  L.push('    bytes32 internal constant SALT_TYPEHASH = keccak256("Salt(uint256 taskId)");');
  L.push(`    uint256 internal constant CHAIN_ID = ${v.domain.chainId};`);
  L.push(`    address internal constant VERIFYING_CONTRACT = ${v.domain.verifyingContract};`);
  L.push("");
  L.push("    function _domainSeparator() internal pure returns (bytes32) {");
  L.push("        return keccak256(");
  L.push(
    '            abi.encode(DOMAIN_TYPEHASH, keccak256("OmniTensor TaskManager"), keccak256("1"), CHAIN_ID, VERIFYING_CONTRACT)',
  );
  L.push("        );");
  L.push("    }");
  L.push("");
  L.push("    function _digest(bytes32 structHash) internal pure returns (bytes32) {");
  L.push('        return keccak256(abi.encodePacked("\\x19\\x01", _domainSeparator(), structHash));');
  L.push("    }");
  L.push("");
  L.push(
    "    function _checkCommitment(uint256 taskId, address node, bytes32 outputHash, bytes32 salt, bytes32 expected)",
  );
  L.push("        internal");
  L.push("        pure");
  L.push("    {");
  L.push('        assertEq(keccak256(abi.encode(taskId, node, outputHash, salt)), expected, "commitment");');
  L.push("    }");
  L.push("");
  L.push(
    "    function _checkSalt(address node, uint256 taskId, bytes32 digest, bytes32 r, bytes32 s, uint8 v, bytes32 salt)",
  );
  L.push("        internal");
  L.push("        pure");
  L.push("    {");
  L.push('        assertEq(_digest(keccak256(abi.encode(SALT_TYPEHASH, taskId))), digest, "salt digest");');
  L.push('        assertEq(ecrecover(digest, v, r, s), node, "salt signer");');
  L.push('        assertTrue(v == 27 || v == 28, "v in {27,28}");');
  L.push(
    '        assertLe(uint256(s), 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0, "low s");',
  );
  L.push('        assertEq(keccak256(abi.encodePacked(r, s, v)), salt, "salt");');
  L.push("    }");
  L.push("");
  L.push("    function _checkCommit(");
  L.push("        address node,");
  L.push("        uint256 taskId,");
  L.push("        uint8 place,");
  L.push("        bytes32 commitment,");
  L.push("        bytes memory sealedOutput,");
  L.push("        uint256 deadline,");
  L.push("        bytes32 digest,");
  L.push("        bytes memory signature");
  L.push("    ) internal pure {");
  L.push(
    "        bytes32 structHash = keccak256(abi.encode(COMMIT_TYPEHASH, taskId, place, commitment, keccak256(sealedOutput), deadline));",
  );
  L.push('        assertEq(_digest(structHash), digest, "commit digest");');
  L.push("        (bytes32 r, bytes32 s, uint8 v) = _split(signature);");
  L.push('        assertEq(ecrecover(digest, v, r, s), node, "commit signer");');
  L.push("    }");
  L.push("");
  L.push("    function _split(bytes memory sig) internal pure returns (bytes32 r, bytes32 s, uint8 v) {");
  L.push('        assertEq(sig.length, 65, "signature length");');
  L.push("        assembly {");
  L.push("            r := mload(add(sig, 32))");
  L.push("            s := mload(add(sig, 64))");
  L.push("            v := byte(0, mload(add(sig, 96)))");
  L.push("        }");
  L.push("    }");
  L.push("");
  L.push("    function test_commitmentOf_matchesAbiEncode() public pure {");
  for (const c of v.commitments)
    L.push(`        _checkCommitment(${c.taskId}, ${c.node}, ${c.outputHash}, ${c.salt}, ${c.commitment});`);
  L.push("    }");
  L.push("");
  L.push("    function test_deriveSalt_matchesEip712AndEcrecover() public pure {");
  for (const s of v.salts)
    L.push(`        _checkSalt(${s.node}, ${s.taskId}, ${s.digest}, ${s.r}, ${s.s}, ${s.v}, ${s.salt});`);
  L.push("    }");
  L.push("");
  L.push("    function test_signCommit_matchesEip712AndEcrecover() public pure {");
  for (const c of v.commits) {
    L.push("        _checkCommit(");
    L.push(`            ${c.node},`);
    L.push(`            ${c.taskId},`);
    L.push(`            ${c.place},`);
    L.push(`            ${c.commitment},`);
    L.push(`            ${lit(c.sealedOutput)},`);
    L.push(`            ${c.deadline},`);
    L.push(`            ${c.digest},`);
    L.push(`            ${lit(c.signature)}`);
    L.push("        );");
  }
  L.push("    }");
  L.push("");
  L.push(
    "    /// A real TaskManager, its code placed at the vectors' verifying contract (EIP712 rebuilds the",
  );
  L.push("    /// domain for address(this), so the digests are those of a TaskManager deployed there).");
  L.push("    function _taskManagerAtVectorAddress() internal returns (TaskManager) {");
  L.push(
    "        TaskManager tm = new TaskManager(address(1), address(2), address(3), address(4), address(this));",
  );
  L.push("        vm.etch(VERIFYING_CONTRACT, address(tm).code);");
  L.push("        vm.chainId(CHAIN_ID);");
  L.push("        return TaskManager(VERIFYING_CONTRACT);");
  L.push("    }");
  L.push("");
  L.push("    function test_taskManager_eip712DomainMatchesVectors() public {");
  L.push("        TaskManager tm = _taskManagerAtVectorAddress();");
  L.push(
    "        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) = tm.eip712Domain();",
  );
  L.push(`        assertEq(name, "${v.domain.name}");`);
  L.push(`        assertEq(version, "${v.domain.version}");`);
  L.push("        assertEq(chainId, CHAIN_ID);");
  L.push("        assertEq(verifyingContract, VERIFYING_CONTRACT);");
  L.push("    }");
  L.push("");
  L.push("    function test_taskManager_saltDigestMatchesVectors() public {");
  L.push("        TaskManager tm = _taskManagerAtVectorAddress();");
  for (const s of v.salts) L.push(`        assertEq(tm.saltDigest(${s.taskId}), ${s.digest});`);
  L.push("    }");
  L.push("");
  L.push("    function test_taskManager_commitDigestMatchesVectors() public {");
  L.push("        TaskManager tm = _taskManagerAtVectorAddress();");
  for (const c of v.commits)
    L.push(
      `        assertEq(tm.commitDigest(${c.taskId}, ${c.place}, ${c.commitment}, ${c.sealedOutputHash}, ${c.deadline}), ${c.digest});`,
    );
  L.push("    }");
  L.push("");
  L.push("    /// The sealed vectors' commitments, recomputed from their plaintext's output hash and salt.");
  L.push("    function test_sealedVectors_commitmentsMatchCommitVectors() public pure {");
  for (const [i, s] of v.sealed.entries()) {
    L.push(
      `        _checkCommitment(${s.taskId}, ${s.node}, ${s.outputHash}, ${s.salt}, ${v.commits[i].commitment});`,
    );
  }
  L.push("    }");
  renderModelIds(v, L);
  L.push("}");
  return `${L.join("\n")}\n`;
}

/** A Solidity string literal (`unicode"…"` when it holds non-ASCII characters). */
const solString = (text: string): string =>
  /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `unicode${JSON.stringify(text)}`;

/** The model id vectors, checked against abi.encode and a real ModelRegistry (its id and its registration). */
function renderModelIds(v: ProtocolVectors, L: string[]): void {
  L.push("");
  L.push(
    "    function _checkModelId(address owner, bytes32 sha, string memory spec, bytes32 specHash, bytes32 id) internal {",
  );
  L.push('        assertEq(keccak256(bytes(spec)), specHash, "spec hash");');
  L.push('        assertEq(keccak256(abi.encode(owner, sha, specHash)), id, "modelId formula");');
  L.push("        ModelRegistry registry = new ModelRegistry();");
  L.push('        assertEq(registry.modelIdOf(owner, sha, spec), id, "ModelRegistry.modelIdOf");');
  L.push("        vm.prank(owner);");
  L.push('        assertEq(registry.registerModel(sha, "ipfs://m", spec, 0), id, "registerModel");');
  L.push("    }");
  L.push("");
  L.push("    function test_modelIdOf_matchesAbiEncodeAndModelRegistry() public {");
  for (const m of v.modelIds)
    L.push(
      `        _checkModelId(${m.owner}, ${m.onnxSha256}, ${solString(m.spec)}, ${m.specHash}, ${m.modelId});`,
    );
  L.push("    }");
}

export const JSON_PATH = "test/vectors/protocol.json";
export const SOL_PATH = "test/contracts/ProtocolVectors.t.sol";
