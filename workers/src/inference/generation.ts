/**
 * A generation of PROTOCOL.md §7 without the model: the task input's rules, the step-by-step
 * state (what to feed, the choice, the running minimum margin, the end) and the canonical
 * `{"tokens":[…],"stop":"eos"|"length"}`. The engine (runtime/generator.ts) feeds it the logits
 * row of each step; the SDK and the tests use it as it is.
 *
 * ```ts
 * const input = decodeGenerateInput(bytes, spec);          // { ok, prompt, n, seed } or { ok: false, reason }
 * const g = new Generation(spec.generate, spec.execution.margin, input);
 * while (!g.done) g.feed(lastLogitsRow(g.step));             // the result: g.result
 * ```
 */
import { classifyMargin, invalidInputResult, outputHash, type CanonicalResult } from "./canonical.ts";
import { parseTemperature, type GenerateSpec } from "./generate-spec.ts";
import type { GenerateInput } from "./generate-input.ts";
import { drawX, firstNonFiniteIndex, greedyChoice, topkChoice, type StepChoice } from "./sampling.ts";
import type { ModelSpec } from "./spec-types.ts";

export { decodeGenerateInput, type GenerateInput, type GenerateInputResult } from "./generate-input.ts";

function errorResult(kind: "NON_FINITE" | "FRAGILE" | "INVALID_INPUT", margin: number, reason: string) {
  const canonical = `{"error":"${kind}"}`;
  return { result: kind, canonical, outputHash: outputHash(canonical), margin, skip: false, reason };
}

/** The canonical bytes of a finished generation. */
export function generationCanonical(tokens: readonly number[], stop: "eos" | "length"): string {
  return `{"tokens":[${tokens.join(",")}],"stop":"${stop}"}`;
}

/** One generation's state: feed the last logits row of each step until `done`. */
export class Generation {
  /** The generated tokens so far. */
  readonly tokens: number[] = [];
  /** The step margins so far. */
  readonly margins: number[] = [];
  minMargin = Infinity;
  result?: CanonicalResult;
  private readonly t: number;

  constructor(
    readonly spec: GenerateSpec,
    readonly specMargin: number,
    readonly input: GenerateInput,
  ) {
    const s = spec.sampling;
    this.t = s.method === "topk" ? (parseTemperature(s.temperature) as number) : 1;
  }

  get done(): boolean {
    return this.result !== undefined;
  }

  /** The step about to run (= the number of tokens generated so far). */
  get step(): number {
    return this.tokens.length;
  }

  /** Prompt ‖ generated tokens. */
  get sequence(): number[] {
    return [...this.input.prompt, ...this.tokens];
  }

  /** The choice of the current step from its logits row (float32 values, taken as float64). */
  choose(row: ArrayLike<number>): StepChoice {
    const s = this.spec.sampling;
    if (s.method === "greedy") return greedyChoice(row);
    return topkChoice(row, s.k, this.t, drawX(this.input.seed!, this.step));
  }

  /** Feeds the row of the current step; sets `result` when the generation ends. */
  feed(row: ArrayLike<number>): void {
    if (this.done) throw new Error("the generation has ended");
    const bad = firstNonFiniteIndex(row);
    if (bad >= 0) return this.end(errorResult("NON_FINITE", this.minMargin, `logit ${bad} is ${row[bad]}`));
    const c = this.choose(row);
    this.margins.push(c.margin);
    this.minMargin = Math.min(this.minMargin, c.margin);
    if (this.minMargin < this.specMargin)
      return this.end(
        errorResult("FRAGILE", this.minMargin, `margin ${this.minMargin} is below ${this.specMargin}`),
      );
    this.tokens.push(c.token);
    const eos = this.spec.eos.includes(c.token);
    if (eos || this.tokens.length === this.input.maxNewTokens) {
      const canonical = generationCanonical(this.tokens, eos ? "eos" : "length");
      this.end({
        result: "ok",
        canonical,
        outputHash: outputHash(canonical),
        margin: this.minMargin,
        skip: false,
      });
    }
  }

  /** A run error at the current step: INVALID_INPUT. */
  runError(reason: string): void {
    this.end({ ...invalidInputResult(reason), margin: this.minMargin });
  }

  /** Ends with `r`; a running minimum in [margin, 2·margin) makes an honest node skip (§7). */
  private end(r: CanonicalResult): void {
    r.skip = r.result !== "FRAGILE" && classifyMargin(this.minMargin, this.specMargin) === "skip";
    this.result = r;
  }
}

/** Runs a generation over a function that gives the logits row of each step (tests, vectors). */
export function generateWith(
  spec: ModelSpec,
  input: GenerateInput,
  rowAt: (sequence: number[], step: number) => ArrayLike<number>,
): { result: CanonicalResult; generation: Generation } {
  const g = new Generation(spec.generate!, spec.execution.margin, input);
  while (!g.done) g.feed(rowAt(g.sequence, g.step));
  return { result: g.result!, generation: g };
}
