import type { Command } from "commander";
import { BASIC_GROUP } from "../help.js";
import { prepareInstance } from "../../instance/prepare.js";
import { logger } from "../../log/logger.js";
import { listTemplates } from "../../templates/index.js";
import { driverNames } from "../../driver/drivers.js";
import { registerCreateFlags, registerEditFlags } from "../editflags.js";
import { boolFlag, checkArgs } from "../flags.js";
import { loadOrCreateInstance } from "../instanceargs.js";
import { warnUnimplementedFields } from "../unimplemented.js";

export function registerCreateCommonFlags(cmd: Command, usagePrefix = ""): void {
  cmd.option("--name <name>", `${usagePrefix}Override the instance name`);
  boolFlag(cmd, "--list-templates", `${usagePrefix}List available templates and exit`);
  boolFlag(cmd, "--list-drivers", `${usagePrefix}List available drivers and exit`);
  registerEditFlags(cmd, usagePrefix);
  registerCreateFlags(cmd, usagePrefix);
}

/** `--list-templates` / `--list-drivers`: true when handled. */
export function handleListFlags(opts: { listTemplates?: boolean; listDrivers?: boolean }): boolean {
  if (opts.listTemplates) {
    for (const t of listTemplates()) if (!t.name.startsWith("_") && !t.name.includes("/_")) process.stdout.write(`${t.name}\n`);
    return true;
  }
  if (opts.listDrivers) {
    for (const name of driverNames()) process.stdout.write(`${name}\n`);
    return true;
  }
  return false;
}

export function register(program: Command): Command {
  const cmd = program
    .command("create")
    .usage("FILE.yaml|URL")
    .summary("Create an instance of Lima")
    .helpGroup(BASIC_GROUP)
    .description("Create an instance of Lima")
    .argument("[template]")
    .addHelpText("after", `
Examples:
  To create an instance "default" from the default Ubuntu template:
  $ limactl create

  To create an instance "default" from a template "docker":
  $ limactl create --name=default template:docker

  To create an instance "local" from a template passed to stdin (--name parameter is required):
  $ cat template.yaml | limactl create --name=local -
`);
  registerCreateCommonFlags(cmd);
  cmd.action(async (_template: string | undefined, _opts: unknown, self: Command) => {
    checkArgs(self, self.args, 0, 1);
    if (handleListFlags(self.opts())) return;
    const { instance } = await loadOrCreateInstance(self, self.args[0] ?? "", true);
    await warnUnimplementedFields(instance);
    await prepareInstance(instance);
    logger.info(`Run \`limactl start ${instance.name}\` to start the instance.`);
  });
  return cmd;
}
