/**
 * Reads a task input file for `omnitensor infer` and `omnitensor task create --input`, choosing
 * the encoding (PROTOCOL.md §7) from the file: `*.safetensors`, or content whose first byte is
 * neither `{` nor white space, is a safetensors file and is sent byte for byte; anything else
 * is JSON text, sent without the white space around it (so its first byte is `{`, as nodes
 * expect where a spec allows both encodings).
 */
import { readFile } from "node:fs/promises";
import { CliError } from "./types.ts";

export type InputEncodingName = "json" | "safetensors";

/** Which encoding a file holds: by extension first, then by its first byte. */
export function inputFileEncoding(path: string, bytes: Uint8Array): InputEncodingName {
  if (/\.safetensors$/i.test(path)) return "safetensors";
  if (/\.json$/i.test(path)) return "json";
  const first = bytes[0];
  // `{`, white space, or a byte order mark (which nodes refuse, as the SDK's check will say).
  const text = first === undefined || [0x7b, 0x20, 0x0a, 0x0d, 0x09, 0xef].includes(first);
  return text ? "json" : "safetensors";
}

/** The input bytes as nodes will see them: JSON trimmed, safetensors as is. */
export function taskInputBytes(
  path: string,
  bytes: Uint8Array,
): { bytes: Uint8Array; encoding: InputEncodingName } {
  const encoding = inputFileEncoding(path, bytes);
  if (encoding === "safetensors") return { bytes, encoding };
  const space = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
  let a = 0;
  let z = bytes.length;
  while (a < z && space(bytes[a])) a++;
  while (z > a && space(bytes[z - 1])) z--;
  return { bytes: bytes.subarray(a, z), encoding };
}

/** Reads `path` ("-" is stdin) as a task input; `what` starts the error message. */
export async function readTaskInput(
  path: string,
  what: (path: string, code: string) => string,
): Promise<{ bytes: Uint8Array; encoding: InputEncodingName }> {
  let raw: Uint8Array;
  try {
    if (path === "-") {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      raw = new Uint8Array(Buffer.concat(chunks));
    } else raw = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CliError(what(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  return taskInputBytes(path, raw);
}
