// Editing an instance's lima.yaml (or any YAML file) with flags or an editor, then validating it
// before it replaces the original. Shared by edit, clone and rename.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadYAML, parseSize, validate } from "../config/index.js";
import { driverNames } from "../driver/drivers.js";
import { withConfiguredDriver } from "../instance/driverutil.js";
import type { Instance } from "../store/instance.js";
import { inspect } from "../store/store.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { evaluateExpression } from "../yq/index.js";

export function editorCommand(): string {
  for (const v of [process.env.VISUAL, process.env.EDITOR]) if (v) return v;
  for (const candidate of ["editor", "vim", "vi", "emacs"]) {
    if (spawnSync("sh", ["-c", `command -v ${candidate}`], { stdio: "ignore" }).status === 0) return candidate;
  }
  throw new LimaError("could not find a text editor (set $EDITOR)");
}

/** Opens the editor on `content`; returns what was saved. */
export function openEditor(content: string, header: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lima-editor-"));
  const file = path.join(dir, "lima.yaml");
  try {
    writeFileSync(file, header + content);
    const res = spawnSync("sh", ["-c", `${editorCommand()} "$1"`, "sh", file], { stdio: "inherit" });
    if (res.status !== 0) throw new LimaError(`editor exited with status ${res.status}`);
    const edited = readFileSync(file, "utf8");
    return edited.startsWith(header) ? edited.slice(header.length) : edited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Validates edited YAML for an instance; on failure saves ./lima.REJECTED.yaml. */
export async function validateEditedInstanceYAML(text: string, file: string, inst?: Instance): Promise<void> {
  try {
    const loaded = loadYAML(text, file, { warn: true });
    validate(loaded.config, { warn: true, lineOf: loaded.lineOf, filePath: file, registeredDrivers: driverNames() });
    if (inst) {
      const candidate: Instance = { ...inst, config: loaded.config, vmType: loaded.config.vmType ?? inst.vmType };
      await withConfiguredDriver(candidate, ({ driver }) => driver.validate());
      checkNoDiskShrink(inst, loaded.config.disk);
    }
  } catch (err) {
    writeFileSync("lima.REJECTED.yaml", text);
    throw new LimaError(`the YAML is invalid, saved the buffer as ${q("lima.REJECTED.yaml")}: ${(err as Error).message}`);
  }
}

function checkNoDiskShrink(inst: Instance, disk: string | undefined): void {
  if (!disk || !inst.config?.disk) return;
  const before = parseSize(inst.config.disk);
  const after = parseSize(disk);
  if (after < before) throw new LimaError(`field \`disk\`: shrinking the disk (${inst.config.disk} --> ${disk}) is not supported`);
}

/** Applies a yq expression to an instance's lima.yaml, validates and writes it. */
export async function editInstanceYAML(inst: Instance, file: string, expression: string): Promise<Instance> {
  const before = readFileSync(file, "utf8");
  const after = evaluateExpression(expression, before);
  if (after === before) return inst;
  await validateEditedInstanceYAML(after, file, inst);
  writeFileSync(file, after, { mode: 0o644 });
  return inspect(inst.name);
}
