/**
 * Strict JSON: `JSON.parse` accepts duplicate object keys (the last one wins), which would let
 * two nodes read one input differently depending on their parser. PROTOCOL.md §7 makes duplicate
 * keys invalid, so {@link parseStrictJson} parses with the native parser (fast, exact grammar)
 * and then walks the text once to find any object that repeats a key (keys compared after
 * unescaping, so "a" and "\u0061" are the same key).
 */

/** The text is not JSON, or an object in it repeats a key. */
export class StrictJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StrictJsonError";
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Returns the position and text of the first duplicated key in a text that is already known to
 * be valid JSON, or null when every object's keys are distinct.
 */
export function findDuplicateKey(text: string): { key: string; position: number } | null {
  // One entry per open container: the keys seen so far for an object, null for an array.
  // Inside an array only quotes and brackets matter, so a numeric array is skipped in one
  // native regex scan; inside an object commas mark where a key comes next.
  const stack: (Set<string> | null)[] = [];
  const inObject = /["{}[\],]/g;
  const inArray = /["{}[\]]/g;
  let expectingKey = false;
  let i = 0;
  for (;;) {
    const top = stack.length > 0 ? stack[stack.length - 1] : null;
    const re = top === null && stack.length > 0 ? inArray : inObject;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    i = m.index;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j < 0) return null; // unreachable for valid JSON
        let k = j - 1;
        let backslashes = 0;
        while (text.charCodeAt(k) === BACKSLASH) {
          backslashes++;
          k--;
        }
        if (backslashes % 2 === 0) break;
        j++;
      }
      if (expectingKey && top !== null) {
        const raw = text.slice(i, j + 1);
        const key = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (top.has(key)) return { key, position: i };
        top.add(key);
        expectingKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === LBRACE) {
      stack.push(new Set());
      expectingKey = true;
    } else if (c === LBRACKET) {
      stack.push(null);
      expectingKey = false;
    } else if (c === RBRACE || c === RBRACKET) {
      stack.pop();
      expectingKey = false;
    } else if (c === COMMA) {
      expectingKey = top !== null;
    }
    i++;
  }
}

/** Parses JSON text, rejecting syntax errors and duplicate keys with a {@link StrictJsonError}. */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StrictJsonError(`malformed JSON: ${(err as Error).message}`);
  }
  const dup = findDuplicateKey(text);
  if (dup) throw new StrictJsonError(`duplicate key "${dup.key}" at position ${dup.position}`);
  return value;
}

/** Decodes UTF-8 bytes strictly (invalid sequences and a byte order mark are errors), then parses. */
export function parseStrictJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new StrictJsonError("not valid UTF-8");
  }
  if (text.charCodeAt(0) === 0xfeff) throw new StrictJsonError("byte order mark before the JSON text");
  return parseStrictJson(text);
}

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
