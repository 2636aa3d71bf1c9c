import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { writeCloudConfig } from "../../cidata/index.js";
import { stopForcibly } from "../../instance/stop.js";
import { logger } from "../../log/logger.js";
import { instanceDir } from "../../store/dirnames.js";
import { LimaVersion, LimaYAML, Protected, VzIdentifier } from "../../store/filenames.js";
import { inspect } from "../../store/store.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";

const KEPT = new Set([LimaVersion, Protected, VzIdentifier]);

export function register(program: Command): Command {
  const cmd = program
    .command("factory-reset")
    .usage("INSTANCE")
    .summary("Factory reset an instance of Lima")
    .description("Factory reset an instance of Lima")
    .argument("[instance]");
  cmd.action(async () => {
    checkArgs(cmd, cmd.args, 0, 1);
    const name = cmd.args[0] ?? "default";
    if (!existsSync(path.join(instanceDir(name), LimaYAML))) {
      logger.info(`Instance ${q(name)} not found`);
      return;
    }
    const inst = await inspect(name);
    if (inst.protected) throw new LimaError("instance is protected to prohibit accidental factory-reset (Hint: use `limactl unprotect`)");
    await stopForcibly(inst);
    for (const entry of readdirSync(inst.dir)) {
      if (KEPT.has(entry) || entry.endsWith(".yaml") || entry.endsWith(".yml")) continue;
      const file = path.join(inst.dir, entry);
      logger.info(`Removing ${q(file)}`);
      try {
        rmSync(file);
      } catch (err) {
        logger.error(errorMessage(err));
      }
    }
    await writeCloudConfig(inst);
    logger.info(`Instance ${q(name)} has been factory reset`);
  });
  return cmd;
}
