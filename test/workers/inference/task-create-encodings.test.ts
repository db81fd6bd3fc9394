/**
 * `omnitensor task create --input <file>` picks the input encoding from the file (PROTOCOL.md
 * §7): a safetensors file goes on chain byte for byte (its keccak256 is the task's inputHash),
 * JSON goes without the white space around it, and a model whose spec does not allow
 * safetensors refuses a safetensors file before the escrow moves. Against a real `hardhat node`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicClient, http, keccak256, parseEther, type Hex } from "viem";
import {
  deployOmniTensor,
  devAddress,
  devKey,
  sendAs,
  startHardhatNode,
  type LocalChain,
} from "../../support/devnet.ts";
import { omniTokenAbi, taskManagerAbi } from "../../../workers/src/chain/abis.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { runIn } from "../../support/cli.ts";
import { encodeSafetensors } from "../../../workers/src/sdk/safetensors.ts";
import { FIXTURE_DIR } from "../../support/models.ts";

const REQUESTER = 6;
const env = () => ({ REQUESTER_PRIVATE_KEY: devKey(REQUESTER) });

describe("omnitensor task create --input: the encoding from the file", () => {
  let chain: LocalChain;
  let d: Deployment;
  let dir: string;
  let conn: string[];
  const models: Record<"json" | "both", Hex> = { json: "0x", both: "0x" };
  const st = encodeSafetensors([{ name: "x", type: "float16", dims: [1, 2], data: [1, 2] }]);

  async function register(specPath: string): Promise<Hex> {
    const r = await runIn(
      [
        "model",
        "register",
        "--onnx",
        join(FIXTURE_DIR, "half.onnx"),
        "--uri",
        "https://example.org/half.onnx",
        "--spec",
        specPath,
        ...conn,
      ],
      env(),
    );
    assert.equal(r.code, 0, r.err);
    return /model registered: (0x[0-9a-f]{64})/.exec(r.out)![1] as Hex;
  }

  async function create(model: Hex, input: string) {
    const r = await runIn(
      [
        "task",
        "create",
        "--model",
        model,
        "--input",
        input,
        "--reward",
        "5",
        "--key-dir",
        join(dir, "keys"),
        ...conn,
      ],
      env(),
    );
    if (r.code !== 0) return { r };
    const id = BigInt(/task created: (\d+)/.exec(r.out)![1]);
    const pc = createPublicClient({ transport: http(chain.rpcUrl) });
    // The contract keeps no input hash: TaskCreated carries it (docs/gas.md).
    const [ev] = await pc.getContractEvents({
      address: d.contracts.TaskManager,
      abi: taskManagerAbi,
      eventName: "TaskCreated",
      args: { taskId: id },
      fromBlock: 0n,
      strict: true,
    });
    return { r, inputHash: ev.args.inputHash };
  }

  before(async () => {
    chain = await startHardhatNode();
    d = await deployOmniTensor(chain.rpcUrl);
    await sendAs(
      chain.rpcUrl,
      0,
      d.contracts.OmniToken,
      omniTokenAbi,
      "transfer",
      [devAddress(REQUESTER), parseEther("1000")],
      d.chainId,
    );
    dir = await mkdtemp(join(tmpdir(), "omnit-enc-task-"));
    await mkdir(join(dir, "deployments"));
    await writeFile(join(dir, "deployments", `${chain.chainId}.json`), JSON.stringify(d));
    conn = ["--rpc", chain.rpcUrl, "--deployments", join(dir, "deployments")];
    const spec = JSON.parse(await readFile(join(FIXTURE_DIR, "half.spec.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const both = join(dir, "half-both.spec.json");
    await writeFile(both, JSON.stringify({ ...spec, inputEncodings: ["json", "safetensors"] }));
    models.json = await register(join(FIXTURE_DIR, "half.spec.json"));
    models.both = await register(both);
  });
  after(async () => {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("sends a safetensors file byte for byte, by extension or by its first byte", async () => {
    for (const name of ["x.safetensors", "x.bin"]) {
      await writeFile(join(dir, name), st);
      const { r, inputHash } = await create(models.both, join(dir, name));
      assert.equal(r.code, 0, r.err);
      assert.equal(inputHash, keccak256(st));
    }
  });

  it("sends JSON without the white space around it", async () => {
    const json = '{"inputs":{"x":{"type":"float16","dims":[1,2],"data":[1,2]}}}';
    await writeFile(join(dir, "x.json"), `\n  ${json}\n`);
    const { r, inputHash } = await create(models.both, join(dir, "x.json"));
    assert.equal(r.code, 0, r.err);
    assert.equal(inputHash, keccak256(new TextEncoder().encode(json)));
  });

  it("refuses a safetensors file before the escrow when the spec allows only JSON", async () => {
    await writeFile(join(dir, "y.safetensors"), st);
    const { r } = await create(models.json, join(dir, "y.safetensors"));
    assert.notEqual(r.code, 0);
    assert.match(r.err + r.out, /input: .*\(model spec\)/);
  });
});
