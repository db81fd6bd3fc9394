/**
 * A full node with `fleet: true` (docs/operator.md §12): its steps run the model through the
 * fleet's Redis queue, which the node consumes itself (so it works alone, and inference
 * processes may join). A real node (startNode) against a `hardhat node`, real Redis, the
 * tiny-mlp model: a task is taken with the result computed by the node's own run worker.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseEther, type Hex } from "viem";
import { actor, devAddress, devKey, waitFor, type LocalChain } from "../../support/devnet.ts";
import { ensureRedis } from "../../support/redis.ts";
import { knownModel } from "../../support/models.ts";
import { lineSink, oneNodeNetwork } from "../../support/e2e.ts";
import type { Deployment } from "../../../workers/src/chain/deployment.ts";
import { generateResultKey } from "../../../workers/src/protocol/index.ts";
import { parseNodeConfig } from "../../../workers/src/node/config.ts";
import { startNode, type RunningNode } from "../../../workers/src/node/start.ts";

const PREFIX = `test-fleet-node-${process.pid}`;
const DB = 0;
const NODE = 5;
const REQUESTER = 10;

describe("a full node with fleet: true", () => {
  const tiny = knownModel("tiny-mlp");
  const net = oneNodeNetwork("fleet-node", { db: DB, prefix: PREFIX }, NODE, REQUESTER, tiny);
  let chain: LocalChain;
  let d: Deployment;
  let modelId: Hex;
  let node: RunningNode | undefined;

  before(async () => {
    await ensureRedis();
    net.onStop(async () => node?.stop());
    ({ chain, d, modelId } = await net.start());
  });
  after(() => net.stop());

  it("publishes its model, runs it through the queue it consumes itself, and takes the seat", async () => {
    const { lines, sink } = lineSink();
    const config = parseNodeConfig({
      rpcUrl: chain.rpcUrl,
      privateKey: devKey(NODE),
      redisUrl: `redis://127.0.0.1:6379/${DB}`,
      redisPrefix: PREFIX,
      roles: ["compute"],
      models: [{ modelId, path: knownModel("tiny-mlp").path }],
      fleet: true,
      pollIntervalMs: 100,
      confirmations: 0,
      metrics: { port: -1 },
      addresses: d.contracts,
      startBlock: d.startBlock,
    });
    node = await startNode(config, { logDestination: sink, connectTimeoutMs: 60_000 });
    const req = actor(chain.rpcUrl, d, devKey(REQUESTER));
    const id = await req.createTask({
      modelId,
      input: knownModel("tiny-mlp").sampleInput(1),
      reward: parseEther("5"),
      redundancy: 1,
      resultKey: generateResultKey().publicKey,
    });
    await waitFor(
      "the seat",
      async () =>
        (await req.tm<{ seatHolders: readonly string[] }>("getTask", [id])).seatHolders.includes(
          devAddress(NODE),
        ),
      60_000,
      200,
    );
    const has = (msg: string) => lines.some((l) => l.includes(`"msg":"${msg}"`));
    assert.ok(has("models published for the fleet's inference processes"));
    assert.ok(has("run done"), "the node's own run worker ran the model");
    assert.ok(lines.some((l) => l.includes('"msg":"committed"') && l.includes(`"taskId":"${id}"`)));
  });
});
