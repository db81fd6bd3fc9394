/**
 * One typed shape for a contract write, shared by the node's submitter and the SDK's sendTx: with
 * a generated `as const` ABI, viem's types check the function name and its arguments at compile
 * time (a renamed function or a wrong argument fails `tsc`, not production).
 */
import type { Abi, Address, ContractFunctionArgs, ContractFunctionName } from "viem";

type Mutability = "nonpayable" | "payable";

/** The names of the functions of `abi` that write. */
export type WriteName<abi extends Abi> = ContractFunctionName<abi, Mutability>;

/** The arguments of the write `fn` of `abi`. */
export type WriteArgs<abi extends Abi, fn extends WriteName<abi>> = ContractFunctionArgs<abi, Mutability, fn>;

/** A contract write: its address, the (typed) ABI holding the function, its name and arguments. */
export interface ContractWrite<abi extends Abi = Abi, fn extends WriteName<abi> = WriteName<abi>> {
  address: Address;
  abi: abi;
  functionName: fn;
  args: WriteArgs<abi, fn>;
}
