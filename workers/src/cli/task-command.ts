/** What the requester's `task <verb> <taskId>` commands share: parse, connect as the requester, read the task. */
import { CliError } from "./types.ts";
import { getTask, type TaskInfo } from "../sdk/tasks.ts";
import type { OmniTensorContext } from "../sdk/context.ts";
import { connectCli, parseCli, parseTaskId } from "./options.ts";

export interface OpenedTask<V> {
  ctx: OmniTensorContext;
  taskId: bigint;
  task: TaskInfo;
  values: V;
  /** The signing account (lowercase). */
  me: string;
}

/** Parses `<taskId>` and the common options, connects with the requester's key and reads the task. */
export async function openTask(
  argv: string[],
  help: string,
  options: Parameters<typeof parseCli>[1] = {},
): Promise<OpenedTask<ReturnType<typeof parseCli>["values"]>> {
  const { values, positionals } = parseCli(argv, options, help, true);
  const taskId = parseTaskId(positionals[0], help);
  const ctx = await connectCli(values, true, "requester");
  const me = ctx.walletClient!.account.address.toLowerCase();
  const task = await getTask(ctx, taskId);
  return { ctx, taskId, task, values, me };
}

/** Refuses a task that is settled already (Finalized, Unresolved or Cancelled), naming its status. */
export function refuseSettled(taskId: bigint, task: TaskInfo): void {
  if (task.status === "Finalized" || task.status === "Unresolved" || task.status === "Cancelled")
    throw new CliError(`task ${taskId} is already ${task.status}`);
}
