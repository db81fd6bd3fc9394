/**
 * The worker's BullMQ queues and workers. One queue per step; jobs are deduplicated by jobId
 * (`task-<id>-<step>`); jobs due at a chain time are delayed and promoted as soon as the chain's
 * clock reaches them (so they work on real chains and under time travel alike); retries with
 * exponential backoff; UnrecoverableError for what a retry cannot fix; close() is graceful
 * (in-flight jobs finish) and idempotent. Connections are given as options, never shared
 * clients, so closing the queues releases every socket.
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Logger } from "pino";
import { Redis, type RedisOptions } from "ioredis";
import {
  STEPS,
  defaultSuffix,
  jobIdOf,
  storedJobData,
  type JobData,
  type JobOf,
  type NextJob,
  type Step,
} from "./jobs.ts";
import { OmniTensorError } from "../protocol/errors.ts";
import { taskLogger, type Common } from "./common.ts";

/** Thrown by a handler to run the same job again once the chain reaches `dueAt` (seconds). */
export class RescheduleError extends Error {
  constructor(
    readonly dueAt: bigint,
    readonly why: string,
    /** Wall-clock wait instead of one derived from chain time (e.g. "the next block"). */
    readonly afterMs?: number,
  ) {
    super(`rescheduled to chain time ${dueAt}: ${why}`);
    this.name = "RescheduleError";
  }
}

/** What a step's handler gets besides its job data. */
export interface StepEnv {
  log: Logger;
  job: Job<JobData, void, Step>;
  attempt: number;
}

/** A step: does its work and returns the jobs that follow it (the queue layer enqueues them). */
export type Handler<S extends Step = Step> = (data: JobOf<S>, env: StepEnv) => Promise<NextJob[]>;
export type Handlers = { [S in Step]: Handler<S> };

/** Runs the handler of the job's step (typed by the job data's `step`). */
export function runStep(handlers: Handlers, data: JobData, env: StepEnv): Promise<NextJob[]> {
  switch (data.step) {
    case "infer":
      return handlers.infer(data, env);
    case "draw":
      return handlers.draw(data, env);
    case "seed":
      return handlers.seed(data, env);
    case "commit":
      return handlers.commit(data, env);
    case "reveal":
      return handlers.reveal(data, env);
    case "finalize":
      return handlers.finalize(data, env);
    case "settle":
      return handlers.settle(data, env);
    default:
      throw new UnrecoverableError(`job data without a known step: ${JSON.stringify(data)}`);
  }
}

/** BullMQ's errors for a job whose keys or lock were deleted while it ran (e.g. FLUSHALL). */
function isLostJobError(e: Error): boolean {
  return e.message.startsWith("Missing key for job") || e.message.startsWith("Missing lock for job");
}

export interface QueueSetOptions {
  connection: ConnectionOptions;
  /** Redis key prefix of the queues (BullMQ `prefix`). */
  prefix: string;
  /** Current chain time (seconds) as last seen; undefined before the first poll. */
  chainNow: () => bigint | undefined;
  attempts?: number;
  backoffMs?: number;
  /** Every connection's "error" event (Redis down), for one outage log line; default: a warning each. */
  onConnectionError?(e: Error, source: string): void;
}

export class QueueSet {
  readonly queues: Record<Step, Queue<JobData, void, Step>>;
  private workers: Worker<JobData, void, Step>[] = [];
  /** Our own connection for the chain-due index (closed in close()). */
  private readonly redis: Redis;
  private closing?: Promise<void>;
  private started?: { common: Common; handlers: Handlers; concurrency: number };

  constructor(private readonly opts: QueueSetOptions) {
    const q = {} as Record<Step, Queue<JobData, void, Step>>;
    for (const step of STEPS)
      q[step] = new Queue<JobData, void, Step>(step, {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: {
          // Capped exponential backoff (see startWorkers): 100 attempts ride out an outage of over
          // an hour without ever giving up on a reveal after a few minutes.
          attempts: opts.attempts ?? 100,
          backoff: { type: "capped", delay: opts.backoffMs ?? 1000 },
          removeOnComplete: { count: 5000 },
          removeOnFail: { count: 5000 },
        },
      });
    for (const step of STEPS) q[step].on("error", (e) => opts.onConnectionError?.(e, `queue ${step}`));
    this.queues = q;
    this.redis = new Redis({ ...(opts.connection as RedisOptions), maxRetriesPerRequest: null });
    this.redis.on("error", (e) => opts.onConnectionError?.(e, "queues"));
  }

  /** Wall-clock delay of a job due at chain time `dueAt`. */
  private delayOf(dueAt?: bigint): number {
    if (dueAt === undefined) return 0;
    const now = this.opts.chainNow();
    if (now === undefined) return 1000;
    return dueAt > now ? Number(dueAt - now) * 1000 : 0;
  }

  /**
   * Adds a job (a no-op when a job with the same id exists: dedupe). The id is
   * `task-<id>-<step>[-<suffix>]` (jobs.ts). Returns whether a new job was created.
   */
  async add(next: NextJob): Promise<boolean> {
    const { data, dueAt } = next;
    const step = data.step;
    const jobId = jobIdOf(data.taskId, step, next.suffix ?? defaultSuffix(data));
    const queue = this.queues[step];
    const existing = await queue.getJob(jobId);
    if (existing) return false;
    const delay = this.delayOf(dueAt);
    await queue.add(
      step,
      { ...data, ...(dueAt !== undefined ? { dueAt: dueAt.toString() } : {}) },
      { jobId, delay },
    );
    if (delay > 0 && dueAt !== undefined) await this.markDue(step, jobId, dueAt);
    return true;
  }

  /** Adds every job (in order). */
  async addAll(next: readonly NextJob[]): Promise<void> {
    for (const n of next) await this.add(n);
  }

  /** Redis sorted set of delayed jobs by chain due time (so promotion never scans every job). */
  private get dueKey(): string {
    return `${this.opts.prefix}:chain-due`;
  }

  private async markDue(step: Step, jobId: string, dueAt: bigint): Promise<void> {
    await this.redis.zadd(this.dueKey, dueAt.toString(), `${step}|${jobId}`);
  }

  /** Removes a job by id if it is waiting or delayed (e.g. a seat lost). */
  async cancel(step: Step, jobId: string): Promise<void> {
    const job = await this.queues[step].getJob(jobId);
    if (job && ((await job.isDelayed()) || (await job.isWaiting())))
      await job.remove().catch(() => undefined);
  }

  /** Promotes every delayed job whose chain due time has come (call on each new head). */
  async promoteDue(chainNow: bigint): Promise<number> {
    const due = await this.redis.zrangebyscore(this.dueKey, "-inf", chainNow.toString());
    let n = 0;
    for (const member of due) {
      const [step, jobId] = member.split("|") as [Step, string];
      const job = this.queues[step] ? await this.queues[step].getJob(jobId) : undefined;
      if (job && (await job.isDelayed())) {
        await job.promote().catch(() => undefined);
        n++;
      }
      await this.redis.zrem(this.dueKey, member);
    }
    return n;
  }

  /** Job counts per queue and state. */
  async depth(): Promise<Record<Step, Record<string, number>>> {
    const out = {} as Record<Step, Record<string, number>>;
    for (const step of STEPS)
      out[step] = await this.queues[step].getJobCounts(
        "waiting",
        "active",
        "delayed",
        "failed",
        "completed",
        "prioritized",
      );
    return out;
  }

  /**
   * Runs one job: the handler's follow-up jobs are enqueued here; a RescheduleError delays the
   * same job to a chain time; errors that a retry cannot fix fail it at once.
   */
  private async process(common: Common, handlers: Handlers, job: Job<JobData, void, Step>, token?: string) {
    const step = job.name;
    const log = taskLogger(common, BigInt(job.data.taskId), step);
    try {
      const data = storedJobData(step, job.data);
      if (data.step !== step && !(step === "commit" && data.step === "draw"))
        throw new UnrecoverableError(`job of queue ${step} has step ${data.step}`);
      await this.addAll(await runStep(handlers, data, { log, job, attempt: job.attemptsMade }));
    } catch (e) {
      if (e instanceof RescheduleError) {
        const delay = e.afterMs ?? this.delayOf(e.dueAt);
        log.debug({ dueAt: e.dueAt.toString(), why: e.why }, "rescheduled");
        await job.updateData({ ...job.data, dueAt: e.dueAt.toString() });
        await job.moveToDelayed(Date.now() + Math.max(delay, 20), token);
        if (e.afterMs === undefined) await this.markDue(step, job.id!, e.dueAt);
        throw new DelayedError();
      }
      // The one error base says whether a retry can help: a named revert, arguments that cannot be
      // encoded, an invalid result key (ProtocolEncodingError, SealedOutputError) never succeed.
      if ((e instanceof OmniTensorError && !e.retryable) || e instanceof UnrecoverableError) {
        log.warn({ err: (e as Error).message }, "job failed (not retryable)");
        throw e instanceof UnrecoverableError ? e : new UnrecoverableError((e as Error).message);
      }
      log.warn(
        { err: (e as Error).message?.split("\n")[0], attempt: job.attemptsMade + 1 },
        "job failed; will retry",
      );
      throw e;
    }
  }

  /** Starts one BullMQ worker per step with the given handlers. */
  startWorkers(common: Common, handlers: Handlers, concurrency: number): void {
    this.started = { common, handlers, concurrency };
    for (const step of STEPS) {
      const worker = new Worker<JobData, void, Step>(
        step,
        (job, token) => this.process(common, handlers, job, token),
        {
          connection: this.opts.connection,
          prefix: this.opts.prefix,
          concurrency,
          autorun: true,
          settings: {
            backoffStrategy: (attemptsMade: number) =>
              Math.min(60_000, (this.opts.backoffMs ?? 1000) * 2 ** Math.min(attemptsMade - 1, 16)),
          },
        },
      );
      worker.on("error", (e) => {
        // A job whose keys were deleted under it (Redis state lost; the node rebuilds it): not an outage.
        if (isLostJobError(e))
          common.logger.warn(
            { queue: step, err: e.message },
            "a job's Redis keys were gone (Redis state lost?)",
          );
        else if (this.opts.onConnectionError) this.opts.onConnectionError(e, `worker ${step}`);
        else common.logger.warn({ queue: step, err: e.message }, "queue worker error (Redis?)");
      });
      this.workers.push(worker);
    }
  }

  /** Graceful and idempotent: waits for in-flight jobs, then closes every connection. */
  close(): Promise<void> {
    if (!this.closing)
      this.closing = (async () => {
        await Promise.all(this.workers.map((w) => w.close()));
        await Promise.all(STEPS.map((s) => this.queues[s].close()));
        await this.redis.quit().catch(() => this.redis.disconnect());
      })();
    return this.closing;
  }
}
