/**
 * Tasks whose input is served by URI (inputs too large for calldata), for the fleet and the
 * watcher-lag tests: a small HTTP server of the test and `createTask` with `inputURI`. Also a
 * wide text line for ocr-rec, the long real-model run those tests use (about 1–3 s here).
 * Importing this module has no side effects.
 */
import { createServer, type Server } from "node:http";
import { keccak256, parseEther, zeroAddress, type Hex } from "viem";
import { actor, type Target } from "./devnet.ts";
import { textImage } from "./models.ts";
import { encodeSafetensors } from "../../workers/src/sdk/safetensors.ts";
import { omniTokenAbi, taskManagerAbi } from "../../workers/src/chain/abis.ts";
import type { Deployment } from "../../workers/src/chain/deployment.ts";

/** ocr-rec's input x[1,3,48,width] as safetensors (each seed a different image; width ≤ 7200 fits maxInputBytes). */
export function wideTextLine(width: number, seed: number): Uint8Array {
  const data = textImage(1, 48, width, -1, 1, seed);
  return encodeSafetensors([{ name: "x", type: "float32", dims: [1, 3, 48, width], data }]);
}

/** An HTTP server on 127.0.0.1 serving byte strings by path. */
export class InputServer {
  readonly inputs = new Map<string, Uint8Array>();
  private server?: Server;
  url = "";

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const body = this.inputs.get(req.url ?? "");
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  /** Serves `bytes` at `path`; returns its URL. */
  serve(path: string, bytes: Uint8Array): string {
    this.inputs.set(path, bytes);
    return `${this.url}${path}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** Creates a task (redundancy 1 unless given) whose input is at `inputURI`; returns its id. */
export async function createTaskByUri(
  target: Target,
  d: Deployment,
  requesterKey: Hex,
  t: {
    modelId: Hex;
    input: Uint8Array;
    inputURI: string;
    resultKey: Hex;
    reward?: bigint;
    redundancy?: number;
  },
): Promise<bigint> {
  const req = actor(target, d, requesterKey);
  const reward = t.reward ?? parseEther("5");
  await req.send(d.contracts.OmniToken, omniTokenAbi, "approve", [d.contracts.TaskManager, reward * 3n]);
  await req.send(d.contracts.TaskManager, taskManagerAbi, "createTask", [
    {
      modelId: t.modelId,
      input: "0x",
      inputURI: t.inputURI,
      inputHash: keccak256(t.input),
      reward,
      redundancy: t.redundancy ?? 1,
      resultKey: t.resultKey,
      callback: zeroAddress,
      callbackGasLimit: 0,
      disputer: zeroAddress,
    },
  ]);
  return req.tm<bigint>("taskCount");
}
