import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { BASIC_GROUP } from "../help.js";
import path from "node:path";
import type { Command } from "commander";
import { isValidInstanceName } from "../../identifiers/validate.js";
import { logger } from "../../log/logger.js";
import { instanceDir } from "../../store/dirnames.js";
import { LimaYAML } from "../../store/filenames.js";
import type { Instance } from "../../store/instance.js";
import { inspect } from "../../store/store.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { evaluateExpression } from "../../yq/index.js";
import { editFlagValues, registerEditFlags, yqExpressionFromFlags } from "../editflags.js";
import { boolFlag, checkArgs } from "../flags.js";
import { globals } from "../globals.js";
import { maybeStartAfterEdit } from "../startafter.js";
import { openEditor, validateEditedInstanceYAML } from "../yamledit.js";

const EDITOR_HEADER = `# Please edit the following configuration for Lima instance.
# An empty file will abort the edit.

`;

export function register(program: Command): Command {
  const cmd = program
    .command("edit")
    .usage("INSTANCE|FILE.yaml")
    .summary("Edit an instance of Lima or a template")
    .helpGroup(BASIC_GROUP)
    .description("Edit an instance of Lima or a template")
    .argument("[instance]");
  boolFlag(cmd, "--start", "Start the instance after editing");
  registerEditFlags(cmd);
  cmd.action(async () => edit(cmd));
  return cmd;
}

async function edit(cmd: Command): Promise<void> {
  checkArgs(cmd, cmd.args, 0, 1);
  const arg = cmd.args[0] ?? "default";
  let inst: Instance | undefined;
  let file = arg;
  if (isValidInstanceName(arg)) {
    if (!existsSync(path.join(instanceDir(arg), LimaYAML))) throw new LimaError(`instance ${q(arg)} not found`);
    inst = await inspect(arg);
    if (inst.status === "Running") throw new LimaError("cannot edit a running instance");
    file = path.join(inst.dir, LimaYAML);
  }
  const before = readFileSync(file, "utf8");
  const expr = yqExpressionFromFlags(editFlagValues(cmd.opts()), { existingInstance: inst !== undefined });
  let after: string;
  if (expr !== "") after = evaluateExpression(expr, before);
  else if (globals().tty) after = openEditor(before, EDITOR_HEADER);
  else after = before;
  if (after.trim() === "") {
    logger.info("Aborting, as requested by saving the file with empty content");
    return;
  }
  if (after === before) {
    logger.info("Aborting, no changes made to the instance");
    return;
  }
  await validateEditedInstanceYAML(after, file, inst);
  writeFileSync(file, after, { mode: 0o644 });
  if (!inst) return;
  logger.info(`Instance ${q(inst.name)} configuration edited`);
  await maybeStartAfterEdit(cmd, inst.name);
}
