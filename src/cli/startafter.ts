// `--start` of edit/clone/rename: start the instance afterwards when asked to.
import type { Command } from "commander";

export async function maybeStartAfterEdit(cmd: Command, name: string): Promise<void> {
  if (cmd.opts<{ start?: boolean }>().start !== true) return;
  const { startInstanceByName } = await import("../instance/start.js");
  await startInstanceByName(name);
}
