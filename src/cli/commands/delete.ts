import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { deleteInstance } from "../../instance/delete.js";
import { logger } from "../../log/logger.js";
import { instanceDir } from "../../store/dirnames.js";
import { LimaYAML } from "../../store/filenames.js";
import { inspect } from "../../store/store.js";
import { errorMessage, joinErrors, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";

export function register(program: Command): Command {
  const cmd = program
    .command("delete")
    .aliases(["remove", "rm"])
    .usage("[flags] INSTANCE [INSTANCE, ...]")
    .summary("Delete an instance of Lima")
    .description("Delete an instance of Lima")
    .argument("[instance...]");
  boolFlag(cmd, "-f, --force", "Forcibly kill the processes");
  cmd.action(async (_args: string[], opts: { force?: boolean }) => {
    checkArgs(cmd, cmd.args, 1);
    const errors: Error[] = [];
    for (const name of cmd.args) {
      try {
        await deleteOne(name, opts.force === true);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    const joined = joinErrors(errors);
    if (joined) throw joined;
  });
  return cmd;
}

async function deleteOne(name: string, force: boolean): Promise<void> {
  const dir = instanceDir(name);
  if (!existsSync(dir)) {
    logger.warn(`Ignoring non-existent instance ${q(name)}`);
    return;
  }
  if (!existsSync(path.join(dir, LimaYAML))) {
    throw new LimaError(
      `instance ${q(name)} directory ${q(dir)} exists but its \`lima.yaml\` could not be read; it was NOT deleted, in case it is currently being cloned into. If no \`limactl\` operation is using it, remove it manually`,
    );
  }
  const inst = await inspect(name);
  try {
    await deleteInstance(inst, force);
  } catch (err) {
    throw new LimaError(`failed to delete instance ${q(name)}: ${errorMessage(err)}`);
  }
  logger.info(`Deleted ${q(name)} (${q(dir)})`);
}
