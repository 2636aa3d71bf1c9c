import type { Command } from "commander";
import { ADVANCED_GROUP } from "../help.js";
import { type CloneMode, cloneInstance } from "../../instance/clone.js";
import { inspect, InstanceNotFoundError } from "../../store/store.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { editFlagValues, registerEditFlags, yqExpressionFromFlags } from "../editflags.js";
import { boolFlag, checkArgs } from "../flags.js";
import { maybeStartAfterEdit } from "../startafter.js";
import { editInstanceYAML } from "../yamledit.js";
import path from "node:path";
import { LimaYAML } from "../../store/filenames.js";

/** Shared by `clone` and `rename`: they differ only in copying or moving the directory. */
export function registerCloneLike(program: Command, mode: CloneMode): Command {
  const verb = mode === "clone" ? "Clone" : "Rename";
  const cmd = program
    .command(mode)
    .usage("OLDINST NEWINST")
    .summary(`${verb} an instance of Lima`)
    .helpGroup(ADVANCED_GROUP)
    .description(`${verb} an instance of Lima`)
    .argument("[instances...]");
  boolFlag(cmd, "--start", `Start the instance after ${mode === "clone" ? "cloning" : "renaming"}`);
  registerEditFlags(cmd, "[limactl edit] ");
  cmd.action(async () => {
    checkArgs(cmd, cmd.args, 2, 2);
    const [oldName = "", newName = ""] = cmd.args;
    let old;
    try {
      old = await inspect(oldName);
    } catch (err) {
      if (err instanceof InstanceNotFoundError) throw new LimaError(`instance ${q(oldName)} not found`);
      throw err;
    }
    const created = await cloneInstance(old, newName, mode);
    const expr = yqExpressionFromFlags(editFlagValues(cmd.opts()), { existingInstance: true });
    if (expr !== "") await editInstanceYAML(created, path.join(created.dir, LimaYAML), expr);
    await maybeStartAfterEdit(cmd, newName);
  });
  return cmd;
}

export function register(program: Command): Command {
  return registerCloneLike(program, "clone");
}
