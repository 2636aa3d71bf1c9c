import { existsSync, rmSync } from "node:fs";
import { ADVANCED_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import { logger } from "../../log/logger.js";
import { Protected } from "../../store/filenames.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";
import { forEachInstance } from "../instances.js";

export function register(program: Command): Command {
  const cmd = program
    .command("unprotect")
    .usage("INSTANCE [INSTANCE, ...]")
    .summary("Unprotect an instance")
    .helpGroup(ADVANCED_GROUP)
    .description("Unprotect an instance")
    .argument("[instance...]")
    .action(async () => {
      checkArgs(cmd, cmd.args, 1);
      await forEachInstance(cmd.args, (dir, name) => {
        const file = path.join(dir, Protected);
        if (!existsSync(file)) {
          logger.warn(`Instance ${q(name)} isn't protected. Skipping.`);
          return;
        }
        rmSync(file, { force: true });
        logger.info(`Unprotected ${q(name)}`);
      });
    });
  return cmd;
}
