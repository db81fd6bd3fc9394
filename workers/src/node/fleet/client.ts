/**
 * The submitter's side of a fleet: it publishes each model it serves (spec and hash from
 * ModelRegistry) and runs a task input by queueing a run job on the model's queue and waiting
 * for its result, which an inference process (`omnitensor node run --only infer`, any machine
 * on the same Redis) computes. A `RemoteModel` is a StepModel: the steps see no difference
 * between a model run here and one run by the fleet.
 *
 * A run job's id is the keccak256 of its input, so a rerun of the step (a restart, a retry)
 * finds the job already queued, running or done instead of queueing it twice, and so does the
 * step of another key with the same input (the keys of a relay node, docs/operator.md §11, each
 * have a FleetClient on the same queues): a finished job keeps its result, not its input, until
 * BullMQ's removeOnComplete drops it (10 minutes, at most 100 per model). A job whose
 * process dies is put back by BullMQ's stalled-job check and run by another process; one that
 * failed is queued again. No answer within `waitMs` throws a retryable error: the step is
 * retried later (and finds the job still queued).
 */
import { Queue, QueueEvents, type ConnectionOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Hex } from "viem";
import { InferenceResourceError, type CanonicalResult } from "../../inference/index.ts";
import { keccak256Hex } from "../../inference/keccak.ts";
import { OmniTensorError } from "../../protocol/errors.ts";
import type { StepModel } from "../context.ts";
import {
  decodeResult,
  fleetQueuePrefix,
  modelKey,
  runQueueName,
  type PublishedModel,
  type RunJob,
  type RunResult,
} from "./protocol.ts";

export interface FleetClientOptions {
  connection: ConnectionOptions;
  /** The node's own connection (for the model records). */
  redis: Redis;
  redisPrefix: string;
  logger: Logger;
  /** Longest wait for one result before the step is retried, finding the job again (default 2 min; a wiped Redis loses the job). */
  waitMs?: number;
  /** How often the model records are written again (default 30 s; a wiped Redis gets them back). */
  republishMs?: number;
  /** Aborts every wait (the node stops: the steps fail now and are retried at the next start). */
  signal?: AbortSignal;
}

/** No inference process answered in time (or Redis failed): the step retries later. */
export class FleetWaitError extends OmniTensorError {
  constructor(modelId: Hex, cause: unknown) {
    super(
      `no result from the fleet for model ${modelId} yet: is an inference process serving it? (${(cause as Error)?.message ?? cause})`,
      "FLEET_NO_RESULT",
      { retryable: true, cause, docsPath: "docs/operator.md#12-running-a-fleet-one-key-many-gpu-machines" },
    );
    this.name = "FleetWaitError";
  }
}

/** `p`, or a rejection as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Error("the node is stopping"));
  let onAbort = () => undefined as void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("the node is stopping"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** A model run by the fleet's inference processes. */
export class RemoteModel implements StepModel {
  constructor(
    readonly modelId: Hex,
    private readonly queue: Queue<RunJob, RunResult>,
    private readonly events: QueueEvents,
    private readonly waitMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  async infer(input: Uint8Array): Promise<CanonicalResult> {
    const jobId = keccak256Hex(input).slice(2);
    let r: RunResult | undefined;
    for (let attempt = 0; r === undefined; attempt++) {
      try {
        r = await this.once(jobId, input);
      } catch (e) {
        // A job removed under us (read by a concurrent step with the same input): queue it again.
        const gone = !this.signal?.aborted && !/timed out/.test((e as Error).message);
        if (!gone || attempt >= 2) throw new FleetWaitError(this.modelId, e);
      }
    }
    if (r.error !== undefined) throw new InferenceResourceError(`inference process: ${r.error}`);
    return decodeResult(r);
  }

  /** Queues the run (or finds it queued, running or done) and waits for its result. */
  private async once(jobId: string, input: Uint8Array): Promise<RunResult> {
    let job = await this.queue.getJob(jobId);
    if (job && (await job.isFailed())) {
      await job.remove().catch(() => undefined);
      job = undefined;
    }
    job ??= await this.queue.add("run", { input: Buffer.from(input).toString("base64") }, { jobId });
    const r = await untilAborted(job.waitUntilFinished(this.events, this.waitMs), this.signal);
    if (r.error !== undefined) {
      await job.remove().catch(() => undefined); // a resource failure: the next asker runs it again
      return r;
    }
    // The result stays for the next asker (another key of a relay node with a seat in a task with
    // this input, a step rerun) until removeOnComplete drops it; the input (maybe megabytes) goes now.
    await job.updateData({ input: "" }).catch(() => undefined);
    return r;
  }
}

export class FleetClient {
  private readonly models = new Map<Hex, { queue: Queue<RunJob, RunResult>; events: QueueEvents }>();
  private readonly published = new Map<Hex, PublishedModel>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: FleetClientOptions) {}

  /** Writes a model's record for the inference processes (and again every `republishMs`). */
  async publish(modelId: Hex, model: PublishedModel): Promise<void> {
    this.published.set(modelId, model);
    await this.write(modelId, model);
    this.timer ??= setInterval(() => {
      for (const [id, m] of this.published) this.write(id, m).catch(() => undefined);
    }, this.opts.republishMs ?? 30_000);
    this.timer.unref();
  }

  private write(modelId: Hex, model: PublishedModel): Promise<unknown> {
    return this.opts.redis.set(modelKey(this.opts.redisPrefix, modelId), JSON.stringify(model));
  }

  /** The StepModel of a published model. */
  model(modelId: Hex): RemoteModel {
    let m = this.models.get(modelId);
    if (!m) {
      const common = { connection: this.opts.connection, prefix: fleetQueuePrefix(this.opts.redisPrefix) };
      const queue = new Queue<RunJob, RunResult>(runQueueName(modelId), {
        ...common,
        defaultJobOptions: {
          attempts: 1,
          // A finished job is kept a while (its input dropped once read), to be read by the steps
          // of other keys with the same input and by a step that runs again (its submitter restarting).
          removeOnComplete: { age: 600, count: 100 },
          removeOnFail: { age: 600, count: 100 },
        },
      });
      const events = new QueueEvents(runQueueName(modelId), common);
      const warn = (e: Error) => this.opts.logger.warn({ err: e.message, modelId }, "fleet queue error");
      queue.on("error", warn);
      events.on("error", warn);
      m = { queue, events };
      this.models.set(modelId, m);
    }
    return new RemoteModel(modelId, m.queue, m.events, this.opts.waitMs ?? 120_000, this.opts.signal);
  }

  /** Closes the queues (waits in progress fail with FleetWaitError and are retried at the next start). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const { queue, events } of this.models.values()) {
      await events.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
    }
    this.models.clear();
  }
}
