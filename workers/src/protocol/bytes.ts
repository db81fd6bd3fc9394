import { getAddress, hexToBytes, isAddress, isHex, type Address, type Hex } from "viem";
import { ProtocolEncodingError } from "./errors.ts";

const UINT256_MAX = (1n << 256n) - 1n;

/** Checks that `value` is a uint256 (a bigint in [0, 2^256)). */
export function assertUint256(field: string, value: bigint): bigint {
  if (typeof value !== "bigint")
    throw new ProtocolEncodingError(field, `must be a bigint, got ${typeof value}`);
  if (value < 0n || value > UINT256_MAX) throw new ProtocolEncodingError(field, "must fit in uint256");
  return value;
}

/** Checks and checksums an address. */
export function assertAddress(field: string, value: string): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false }))
    throw new ProtocolEncodingError(field, `must be a 20-byte hex address, got ${String(value)}`);
  return getAddress(value);
}

/** Checks that `value` is 0x-prefixed hex of exactly 32 bytes. */
export function assertBytes32(field: string, value: string): Hex {
  if (typeof value !== "string" || !isHex(value, { strict: true }) || value.length !== 66)
    throw new ProtocolEncodingError(field, "must be 32 bytes as 0x-prefixed hex (66 characters)");
  return value.toLowerCase() as Hex;
}

/** Accepts bytes as Uint8Array or 0x-hex, returns a Uint8Array (copied from hex, as is otherwise). */
export function toBytes(field: string, value: Uint8Array | Hex): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string" && isHex(value, { strict: true }) && value.length % 2 === 0)
    return hexToBytes(value);
  throw new ProtocolEncodingError(field, "must be a Uint8Array or even-length 0x-prefixed hex");
}

/** `value` as 32 bytes big-endian. */
export function uint256Bytes(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
