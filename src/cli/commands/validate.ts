import type { Command } from "commander";
import { ADVANCED_GROUP } from "../help.js";
import { logger } from "../../log/logger.js";
import { q } from "../../util/goquote.js";
import { boolFlag, checkArgs } from "../flags.js";
import { filledYAML, loadTemplateFilled } from "../templatefill.js";

/** `validate` and `template validate` are the same command. */
export function defineValidate(cmd: Command): Command {
  cmd.usage("FILE.yaml [FILE.yaml, ...]").summary("Validate YAML templates").description("Validate YAML templates").argument("[templates...]");
  boolFlag(cmd, "--fill", "Fill defaults");
  cmd.action(async (_args: string[], opts: { fill?: boolean }) => {
    checkArgs(cmd, cmd.args, 1);
    const fill = opts.fill === true;
    const many = cmd.args.length > 1;
    for (const locator of cmd.args) {
      const filled = await loadTemplateFilled(locator, { defaultBase: fill, validate: true });
      logger.info(`${q(locator)}: OK`);
      if (fill) process.stdout.write(`${many ? "---\n" : ""}${filledYAML(filled.config)}`);
    }
    if (fill && many) process.stdout.write("...\n");
  });
  return cmd;
}

export function register(program: Command): Command {
  return defineValidate(program.command("validate")).helpGroup(ADVANCED_GROUP);
}
