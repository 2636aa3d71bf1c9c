import type { Command } from "commander";
import { isRegistered, register as registerUnit, unregister as unregisterUnit } from "../../autostart/systemd.js";
import { logger } from "../../log/logger.js";
import { inspect, InstanceNotFoundError } from "../../store/store.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { goQuote, q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

/** The instance's name as Inspect confirms it; Lima's autostart words a missing one its own way. */
async function existingName(name: string): Promise<string> {
  try {
    return (await inspect(name)).name;
  } catch (err) {
    if (err instanceof InstanceNotFoundError) throw new LimaError(`instance ${goQuote(name)} not found`);
    throw err;
  }
}

async function enable(name: string, condition: string): Promise<void> {
  if (condition === "boot") throw new LimaError("--condition=boot is only supported on macOS");
  const inst = await existingName(name);
  try {
    await registerUnit(inst);
  } catch (err) {
    throw new LimaError(`failed to register instance ${q(inst)} to start at login: ${errorMessage(err)}`);
  }
  logger.info(`Instance ${q(inst)} registered to start at login`);
}

async function disable(name: string): Promise<void> {
  const inst = await existingName(name);
  if (!isRegistered(inst)) {
    logger.info(`Instance ${q(inst)} is not registered for automatic startup`);
    return;
  }
  try {
    await unregisterUnit(inst);
  } catch (err) {
    throw new LimaError(`failed to unregister instance ${q(inst)} from start at login: ${errorMessage(err)}`);
  }
  logger.info(`Instance ${q(inst)} unregistered from start at login`);
}

export function register(program: Command): Command {
  const cmd = program
    .command("autostart")
    .summary("Manage automatic startup of Lima instances")
    .description("Manage automatic startup of Lima instances")
    .helpGroup(ADVANCED_GROUP);
  const enableCmd = cmd
    .command("enable")
    .usage("INSTANCE")
    .summary("Register an instance to start automatically")
    .description("Register an instance to start automatically")
    .argument("[instance...]")
    .option("--condition <condition>", 'When to start the instance: "login" (user session) or "boot" (system boot, macOS only)', "login")
    .option("--user <user>", "macOS username to run the instance as when --condition=boot (default: $USER)", "");
  enableCmd.action(async (_args: string[], opts: { condition: string }) => {
    checkArgs(enableCmd, enableCmd.args, 1, 1);
    await enable(enableCmd.args[0] ?? "", opts.condition);
  });
  const disableCmd = cmd
    .command("disable")
    .usage("INSTANCE")
    .summary("Unregister an instance from automatic startup")
    .description("Unregister an instance from automatic startup")
    .argument("[instance...]");
  disableCmd.action(async () => {
    checkArgs(disableCmd, disableCmd.args, 1, 1);
    await disable(disableCmd.args[0] ?? "");
  });
  return cmd;
}
