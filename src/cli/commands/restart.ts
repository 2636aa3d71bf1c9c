import path from "node:path";
import type { Command } from "commander";
import { DEFAULT_TIMEOUT_MS, startInstance } from "../../instance/start.js";
import { stopForcibly, stopGracefully } from "../../instance/stop.js";
import { logger } from "../../log/logger.js";
import { LimaYAML } from "../../store/filenames.js";
import { inspect } from "../../store/store.js";
import { q } from "../../util/goquote.js";
import { editFlagValues, registerEditFlags, yqExpressionFromFlags } from "../editflags.js";
import { boolFlag, checkArgs } from "../flags.js";
import { globals } from "../globals.js";
import { warnUnimplementedFields } from "../unimplemented.js";
import { editInstanceYAML } from "../yamledit.js";

export function register(program: Command): Command {
  const cmd = program.command("restart").usage("INSTANCE").summary("Restart a running instance").description("Restart a running instance").argument("[instance]");
  boolFlag(cmd, "-f, --force", "Force stop and restart the instance");
  boolFlag(cmd, "--progress", "Show provision script progress by tailing cloud-init logs");
  registerEditFlags(cmd);
  cmd.action(async (_a: string | undefined, opts: { force?: boolean; progress?: boolean }) => {
    checkArgs(cmd, cmd.args, 0, 1);
    let inst = await inspect(cmd.args[0] ?? "default");
    const expr = yqExpressionFromFlags(editFlagValues(cmd.opts()), { existingInstance: true });
    if (expr !== "") {
      inst = await editInstanceYAML(inst, path.join(inst.dir, LimaYAML), expr);
      logger.info(`Instance ${q(inst.name)} configuration edited`);
    }
    if (opts.force) await stopForcibly(inst);
    else await stopGracefully(inst, true);
    const stopped = await inspect(inst.name);
    await warnUnimplementedFields(stopped);
    await startInstance(stopped, { timeoutMs: DEFAULT_TIMEOUT_MS, debug: globals().debug, progress: opts.progress === true });
  });
  return cmd;
}
