// Argument resolution of `create` and `start` (Lima's loadOrCreateInstance): an identifier names an
// instance, anything else is a template locator; the template is embedded and edited by flags.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadYAML } from "../config/index.js";
import { isValidInstanceName, validateInstanceName } from "../identifiers/validate.js";
import { createInstance } from "../instance/create.js";
import { logger } from "../log/logger.js";
import { instanceDir } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { inspect } from "../store/store.js";
import { embed, readLocator } from "../templates/index.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { evaluateExpression } from "../yq/index.js";
import { chooseNextCreatorState } from "./creatormenu.js";
import { editFlagValues, yqExpressionFromFlags } from "./editflags.js";
import { globals } from "./globals.js";
import { editInstanceYAML } from "./yamledit.js";

const DEPRECATED_TEMPLATES: Record<string, string> = {
  "experimental/vz": "`vmType: vz` became the default for macOS hosts in Lima v1.0",
  "experimental/riscv64": "use `template:default --arch=riscv64` instead (since Lima v1.0)",
  "experimental/armv7l": "use `template:default --arch=armv7l` instead (since Lima v1.0)",
  vmnet: "use `template:default --network=lima:shared` instead (since Lima v1.0)",
  "experimental/net-user-v2": "use `template:default --network=lima:user-v2` instead (since Lima v1.0)",
  "experimental/9p": "use `template:default --vm-type=qemu --mount-type=9p` instead (since Lima v1.0)",
  "experimental/virtiofs-linux": "use `template:default --mount-type=virtiofs` instead (since Lima v1.0)",
};

export interface LoadOrCreate {
  instance: Instance;
  created: boolean;
}

function isStdinTTYForbidden(cmd: Command): boolean {
  return cmd.getOptionValueSource("tty") === "cli" && globals().tty;
}

export async function loadOrCreateInstance(cmd: Command, arg: string, createOnly: boolean): Promise<LoadOrCreate> {
  const opts = cmd.opts<Record<string, unknown>>();
  let name = (opts.name as string | undefined) ?? "";
  if (name !== "") validateInstanceName(name);
  const templateName = arg.startsWith("template:") ? arg.slice("template:".length).replace(/^\/\//, "") : "";
  if (templateName && DEPRECATED_TEMPLATES[templateName]) {
    logger.warn(`template ${q(templateName)} is deprecated: ${DEPRECATED_TEMPLATES[templateName]}`);
  }
  const flags = editFlagValues(opts);
  let locator = arg;
  let tty = globals().tty;
  if (arg === "-") {
    if (name === "") throw new LimaError("must pass instance name with --name when reading template from stdin");
    if (isStdinTTYForbidden(cmd)) throw new LimaError("cannot use --tty=true when reading template from stdin");
    tty = false; // stdin carries the template, not answers
  } else if (arg === "" || isValidInstanceName(arg)) {
    if (arg !== "" && name !== "" && arg !== name) {
      throw new LimaError(`instance name ${q(arg)} and CLI flag --name=${q(name)} cannot be specified together`);
    }
    name = arg || name || "default";
    if (existsSync(instanceDir(name))) {
      if (createOnly) throw new LimaError(`instance ${q(name)} already exists`);
      logger.info(`Using the existing instance ${q(name)}`);
      const inst = await inspect(name);
      const expr = yqExpressionFromFlags(flags, { existingInstance: true });
      const instance = expr === "" ? inst : await editInstanceYAML(inst, path.join(inst.dir, filenames.LimaYAML), expr);
      return { instance, created: false };
    }
    if (arg !== "" && arg !== "default") {
      logger.info(`Creating an instance ${q(name)} from template:default (Not from template:${arg})`);
      logger.warn(`This form is deprecated. Use \`limactl create --name=${name} template:default\` instead`);
    }
    locator = "template:default";
  }
  const tmpl = await readLocator(locator, name !== "" ? { name } : {});
  if (name === "") {
    if (!tmpl.name) throw new LimaError(`can't determine instance name from template locator ${q(locator)}`);
    name = tmpl.name;
    validateInstanceName(name);
  }
  if (existsSync(instanceDir(name))) throw new LimaError(`instance ${q(name)} already exists`);
  const embedded = await embed({ ...tmpl, name }, { embedAll: true, defaultBase: true });
  let text = Buffer.from(embedded.bytes).toString("utf8");
  const parsed = loadYAML(text, path.join(instanceDir(name), filenames.LimaYAML), { warn: false });
  if (parsed.config.os && parsed.config.os !== "Linux") logger.warn("Support for non-Linux guests is experimental");
  const expr = yqExpressionFromFlags(flags, { existingInstance: false, templateParams: Object.keys(parsed.config.param ?? {}) });
  if (tty) {
    text = await chooseNextCreatorState({ name, locator: embedded.locator, text }, expr);
  } else {
    logger.info("Terminal is not available, proceeding without opening an editor");
    text = evaluateExpression(expr, text);
  }
  const instance = await createInstance(name, text, { saveRejected: tty });
  return { instance, created: true };
}
