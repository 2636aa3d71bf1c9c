import { existsSync, writeFileSync } from "node:fs";
import { ADVANCED_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import { logger } from "../../log/logger.js";
import { Protected } from "../../store/filenames.js";
import { forEachInstance } from "../instances.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";

export function register(program: Command): Command {
  const cmd = program
    .command("protect")
    .usage("INSTANCE [INSTANCE, ...]")
    .summary("Protect an instance to prohibit accidental removal")
    .helpGroup(ADVANCED_GROUP)
    .description("Protect an instance to prohibit accidental removal\nThe instance is not being protected against removal via `/bin/rm`, Finder, etc.")
    .argument("[instance...]")
    .action(async () => {
      checkArgs(cmd, cmd.args, 1);
      await forEachInstance(cmd.args, (dir, name) => {
        const file = path.join(dir, Protected);
        if (existsSync(file)) {
          logger.warn(`Instance ${q(name)} is already protected. Skipping.`);
          return;
        }
        writeFileSync(file, "", { mode: 0o400 });
        logger.info(`Protected ${q(name)}`);
      });
    });
  return cmd;
}

