/**
 * The logger the engine writes to. pino's `Logger` satisfies it, so the bots inject theirs; tools
 * and tests use {@link silentLogger} or {@link stderrLogger}.
 */
export type InferenceLogFn = (obj: object, msg?: string) => void;

export interface InferenceLogger {
  debug: InferenceLogFn;
  info: InferenceLogFn;
  warn: InferenceLogFn;
  error: InferenceLogFn;
}

const noop: InferenceLogFn = () => {};

/** Drops everything. */
export const silentLogger: InferenceLogger = { debug: noop, info: noop, warn: noop, error: noop };

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** One JSON line per record on stderr (pino's shape: level, time, msg, fields), at or above `level`. */
export function stderrLogger(level: keyof typeof LEVELS = "info"): InferenceLogger {
  const make =
    (name: keyof typeof LEVELS): InferenceLogFn =>
    (obj, msg) => {
      if (LEVELS[name] < LEVELS[level]) return;
      process.stderr.write(JSON.stringify({ level: LEVELS[name], time: Date.now(), msg, ...obj }) + "\n");
    };
  return { debug: make("debug"), info: make("info"), warn: make("warn"), error: make("error") };
}
