/**
 * What /health says: 200 {"ok":true,…} only while the node can do its work, else 503 with every
 * reason. The reasons come from two places: problems the wiring sets and clears as it learns
 * them (starting, RPC unreachable at start, the key's lock lost, the stake, the models), and
 * checks evaluated at each request (Redis, the watcher's RPC state and freshness, the queues).
 */

/** The body of /health. */
export interface HealthReport {
  ok: boolean;
  /** Why the node cannot work now (empty when ok). */
  reasons: string[];
  [detail: string]: unknown;
}

/** A named check evaluated at each /health request: a reason, or undefined when fine. */
export type HealthCheck = () => string | undefined;

export class NodeHealth {
  private readonly problems = new Map<string, string>();
  private readonly checks = new Map<string, HealthCheck>();
  private readonly details = new Map<string, () => unknown>();

  /** Sets (a string) or clears (undefined) the problem `name`. */
  set(name: string, reason: string | undefined): void {
    if (reason === undefined) this.problems.delete(name);
    else this.problems.set(name, reason);
  }

  /** Registers a check run at each request. */
  check(name: string, fn: HealthCheck): void {
    this.checks.set(name, fn);
  }

  /** Registers a detail field of the report (node, lastBlock, models, …). */
  detail(name: string, fn: () => unknown): void {
    this.details.set(name, fn);
  }

  report(): HealthReport {
    const reasons = [...this.problems.values()];
    for (const fn of this.checks.values()) {
      const r = fn();
      if (r !== undefined) reasons.push(r);
    }
    const out: HealthReport = { ok: reasons.length === 0, reasons };
    for (const [k, fn] of this.details) out[k] = fn();
    return out;
  }
}

/**
 * Tracks whether the chain moves: a head that has not advanced for `staleAfterMs` means the RPC
 * serves a chain that mines no blocks (a local automining node without traffic) or is stuck.
 */
export class HeadWatch {
  private number = -1n;
  private at = Date.now();

  constructor(private readonly staleAfterMs: number) {}

  /** Called with each polled head. */
  seen(number: bigint): void {
    if (number > this.number) {
      this.number = number;
      this.at = Date.now();
    }
  }

  /** Milliseconds since the head last advanced. */
  age(): number {
    return Date.now() - this.at;
  }

  check(): string | undefined {
    if (this.number < 0n) return undefined;
    const age = this.age();
    if (age <= this.staleAfterMs) return undefined;
    return (
      `no new block for ${Math.round(age / 1000)} s (head ${this.number}): the chain is not moving ` +
      `(a local node mines only on transactions unless it mines by interval; see docs/operator.md)`
    );
  }
}

/**
 * Counts each queue's consecutive failed job attempts (a reschedule is neither a success nor a
 * failure). A queue whose last `limit` attempts all failed is unhealthy until one succeeds.
 */
export class QueueFailures {
  private readonly runs = new Map<string, { n: number; last: string }>();

  constructor(private readonly limit = 5) {}

  ok(queue: string): void {
    this.runs.delete(queue);
  }

  failed(queue: string, err: unknown): void {
    const r = this.runs.get(queue) ?? { n: 0, last: "" };
    r.n++;
    r.last = ((err as Error)?.message ?? String(err)).split("\n")[0];
    this.runs.set(queue, r);
  }

  check(): string | undefined {
    const bad = [...this.runs].filter(([, r]) => r.n >= this.limit);
    if (bad.length === 0) return undefined;
    return bad.map(([q, r]) => `queue ${q}: the last ${r.n} jobs failed (latest: ${r.last})`).join("; ");
  }

  /**
   * Wraps each handler so that its outcome is counted. `isReschedule` tells a reschedule (or
   * any other non-failure throw) from a failure.
   */
  wrap<T extends { [K in keyof T]: (...args: never[]) => Promise<unknown> }>(
    handlers: T,
    isReschedule: (e: unknown) => boolean,
  ): T {
    const out = { ...handlers };
    for (const step of Object.keys(handlers) as (keyof T & string)[]) {
      const h = handlers[step];
      out[step] = (async (...args: Parameters<typeof h>) => {
        try {
          const r = await h(...args);
          this.ok(step);
          return r;
        } catch (e) {
          if (!isReschedule(e)) this.failed(step, e);
          throw e;
        }
      }) as T[typeof step];
    }
    return out;
  }
}
