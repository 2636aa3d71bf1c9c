// The question `limactl create` and `limactl start` ask on a terminal before creating an instance
// (Lima's chooseNextCreatorState): proceed, review in an editor, pick another template, or exit.
import { readFileSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { limaConfigDir } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import { embed, listTemplates, readLocator, templateText } from "../templates/index.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { evaluateExpression } from "../yq/index.js";
import { MenuUnavailableError, select } from "./menu.js";
import { openEditor } from "./yamledit.js";

export const CREATOR_CHOICES = [
  "Proceed with the current configuration",
  "Open an editor to review or modify the current configuration",
  "Choose another template (docker, podman, archlinux, fedora, ...)",
  "Exit",
] as const;

const PROCEED = 0;
const EDIT = 1;
const OTHER_TEMPLATE = 2;
const EXIT = 3;

export const ABORTED_BY_EMPTY_FILE = "Aborting, as requested by saving the file with empty content";
export const CHOSE_TO_EXIT = "Choosing to exit";

export interface CreatorTemplate {
  name: string;
  locator: string;
  /** The embedded template text. */
  text: string;
}

/** `_config/default.yaml` or `override.yaml` quoted as comments, since they apply under the edited file. */
function configFileWarning(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return "";
  }
  if (text === "") return "";
  const quoted = text.replace(/\n$/, "").split("\n").map((line) => (line === "" ? "#" : `# ${line}`));
  return [`# WARNING: ${file} includes the following settings,`, "# which are applied before applying this YAML:", "# -----------", ...quoted, "# -----------", "", ""].join("\n");
}

export function editorHeader(name: string): string {
  const lines = [`# Review and modify the following configuration for Lima instance ${q(name)}.`];
  if (name === "default") lines.push("# - In most cases, you do not need to modify this file.");
  lines.push("# - To cancel starting Lima, just save this file as an empty file.", "", "");
  const configDir = limaConfigDir();
  return lines.join("\n") + configFileWarning(path.join(configDir, filenames.Default)) + configFileWarning(path.join(configDir, filenames.Override));
}

async function embedded(name: string, locator: string, text: string): Promise<CreatorTemplate> {
  const tmpl = await embed({ name, locator, bytes: new TextEncoder().encode(text) }, { embedAll: true, defaultBase: true });
  return { name, locator, text: templateText(tmpl) };
}

async function chooseTemplate(name: string): Promise<CreatorTemplate> {
  // internal bases such as `_default/*` and `_images/*` are not offered (as in --list-templates)
  const templates = listTemplates().filter((t) => !t.name.startsWith("_") && !t.name.includes("/_"));
  const chosen = templates[await select("Choose a template", templates.map((t) => t.name))];
  if (!chosen) throw new LimaError("no template was chosen");
  const tmpl = await readLocator(chosen.location, { name });
  return embedded(name, tmpl.locator, templateText(tmpl));
}

/**
 * Asks what to do with the template (after applying the flags' yq expression) and returns the
 * text to create the instance from. Exit and an emptied editor buffer end the command.
 */
export async function chooseNextCreatorState(start: CreatorTemplate, expression: string): Promise<string> {
  let tmpl = start;
  for (;;) {
    const text = evaluateExpression(expression, tmpl.text);
    let answer: number;
    try {
      answer = await select(`Creating an instance ${q(tmpl.name)}`, CREATOR_CHOICES);
    } catch (err) {
      if (!(err instanceof MenuUnavailableError)) throw err;
      logger.warn("Failed to open TUI", { error: err });
      return text;
    }
    switch (answer) {
      case PROCEED:
        return text;
      case EDIT: {
        const edited = openEditor(text, editorHeader(tmpl.name));
        if (edited.trim() === "") {
          logger.info(ABORTED_BY_EMPTY_FILE);
          throw new LimaError(ABORTED_BY_EMPTY_FILE);
        }
        return (await embedded(tmpl.name, tmpl.locator, edited)).text;
      }
      case OTHER_TEMPLATE:
        tmpl = await chooseTemplate(tmpl.name);
        continue;
      case EXIT:
        throw new LimaError(CHOSE_TO_EXIT);
      default:
        throw new LimaError(`unexpected answer ${answer}`);
    }
  }
}
