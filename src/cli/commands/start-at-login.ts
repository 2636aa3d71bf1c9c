import type { Command } from "commander";
import { isRegistered, register as registerUnit, unregister as unregisterUnit } from "../../autostart/systemd.js";
import { logger } from "../../log/logger.js";
import { inspect, InstanceNotFoundError } from "../../store/store.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

const DEFAULT_INSTANCE = "default";

async function startAtLogin(name: string, enabled: boolean): Promise<void> {
  let inst: string;
  try {
    inst = (await inspect(name)).name;
  } catch (err) {
    // Lima: a missing instance is not an error here.
    if (!(err instanceof InstanceNotFoundError)) throw err;
    logger.info(`Instance ${q(name)} not found`);
    return;
  }
  let registered: boolean;
  try {
    registered = isRegistered(inst);
  } catch (err) {
    throw new LimaError(`failed to check if the autostart entry for instance ${q(inst)} is registered: ${errorMessage(err)}`);
  }
  if (enabled) {
    const verb = registered ? "update" : "create";
    try {
      await registerUnit(inst);
    } catch (err) {
      throw new LimaError(`failed to ${verb} the autostart entry for instance ${q(inst)}: ${errorMessage(err)}`);
    }
    logger.info(`The autostart entry for instance ${q(inst)} has been ${verb}d`);
    return;
  }
  if (!registered) {
    logger.info(`The autostart entry for instance ${q(inst)} is not registered`);
    return;
  }
  try {
    await unregisterUnit(inst);
  } catch (err) {
    throw new LimaError(`failed to unregister the autostart entry for instance ${q(inst)}: ${errorMessage(err)}`);
  }
  logger.info(`The autostart entry for instance ${q(inst)} has been unregistered`);
}

export function register(program: Command): Command {
  // Deprecated in Lima: cobra leaves it out of the help and says so on every run.
  const cmd = program
    .command("start-at-login", { hidden: true })
    .usage("INSTANCE")
    .summary("Register/Unregister an autostart file for the instance")
    .description("Register/Unregister an autostart file for the instance")
    .helpGroup(ADVANCED_GROUP)
    .argument("[instance...]");
  boolFlag(cmd, "--enabled", "Automatically start the instance when the user logs in (default true)");
  cmd.action(async (_args: string[], opts: { enabled?: boolean }) => {
    process.stderr.write('Command "start-at-login" is deprecated, use "limactl autostart" instead\n');
    checkArgs(cmd, cmd.args, 0, 1);
    await startAtLogin(cmd.args[0] ?? DEFAULT_INSTANCE, opts.enabled ?? true);
  });
  return cmd;
}
