import { formatUnits, parseUnits } from "viem";
import { ProtocolEncodingError } from "../protocol/errors.ts";

/** OMNIT has 18 decimals. */
export const OMNIT_DECIMALS = 18;

/**
 * An amount of OMNIT: a decimal string or number is OMNIT ("12.5" → 12.5 OMNIT), a bigint is
 * already in wei. `field` names the argument in the error.
 */
export function parseOmnit(field: string, value: string | number | bigint): bigint {
  if (typeof value === "bigint") {
    if (value < 0n) throw new ProtocolEncodingError(field, "must not be negative");
    return value;
  }
  const text = typeof value === "number" ? String(value) : value.trim();
  if (!/^\d+(\.\d{1,18})?$/.test(text))
    throw new ProtocolEncodingError(
      field,
      `"${value}" is not an amount of OMNIT (a decimal number such as 12.5, at most 18 decimals)`,
    );
  return parseUnits(text, OMNIT_DECIMALS);
}

/** Wei → OMNIT as a decimal string ("12.5"). */
export function formatOmnit(wei: bigint): string {
  return formatUnits(wei, OMNIT_DECIMALS);
}
