import { existsSync } from "node:fs";
import { BASIC_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import { isRegistered, isRunningSystemd, unregister } from "../../autostart/systemd.js";
import { deleteInstance } from "../../instance/delete.js";
import { logger } from "../../log/logger.js";
import { instanceDir } from "../../store/dirnames.js";
import { LimaYAML } from "../../store/filenames.js";
import { inspect } from "../../store/store.js";
import { reconcileNetworks } from "../../networks/reconcile.js";
import { errorMessage, joinErrors, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";

export function register(program: Command): Command {
  const cmd = program
    .command("delete")
    .aliases(["remove", "rm"])
    .usage("INSTANCE [INSTANCE, ...]")
    .summary("Delete an instance of Lima")
    .helpGroup(BASIC_GROUP)
    .description("Delete an instance of Lima")
    .argument("[instance...]");
  boolFlag(cmd, "-f, --force", "Forcibly kill the processes");
  cmd.action(async (_args: string[], opts: { force?: boolean }) => {
    checkArgs(cmd, cmd.args, 1);
    const errors: Error[] = [];
    for (const name of cmd.args) {
      // An invalid name or a failed deletion stops at once; half-made instances are reported at the end (Lima).
      const dir = instanceDir(name);
      if (!existsSync(path.join(dir, LimaYAML))) {
        const err = missingInstanceError(name, dir);
        if (err) errors.push(err);
        continue;
      }
      await deleteOne(name, opts.force === true);
    }
    try {
      await reconcileNetworks();
    } catch (err) {
      errors.push(err as Error);
    }
    const joined = joinErrors(errors);
    if (joined) throw joined;
  });
  return cmd;
}

/** Nothing to delete: a warning when the directory is gone, an error when it is being cloned into. */
function missingInstanceError(name: string, dir: string): LimaError | undefined {
  if (!existsSync(dir)) {
    logger.warn(`Ignoring non-existent instance ${q(name)}`);
    return undefined;
  }
  return new LimaError(
    `instance ${q(name)} directory ${q(dir)} exists but its \`lima.yaml\` could not be read; it was NOT deleted, in case it is currently being cloned into. If no \`limactl\` operation is using it, remove it manually`,
  );
}

async function deleteOne(name: string, force: boolean): Promise<void> {
  const inst = await inspect(name);
  try {
    await deleteInstance(inst, force);
  } catch (err) {
    throw new LimaError(`failed to delete instance ${q(name)}: ${errorMessage(err)}`);
  }
  await unregisterAutostart(name);
  logger.info(`Deleted ${q(name)} (${q(inst.dir)})`);
}

/** A deleted instance's systemd unit would fail at every login: Lima removes it, warning on failure. */
async function unregisterAutostart(name: string): Promise<void> {
  if (!isRunningSystemd()) return;
  try {
    if (!isRegistered(name)) return;
    await unregister(name);
    logger.info(`The autostart entry for instance ${q(name)} has been unregistered`);
  } catch (err) {
    logger.warn(`Failed to unregister the autostart entry for instance ${q(name)}: ${errorMessage(err)}`);
  }
}
