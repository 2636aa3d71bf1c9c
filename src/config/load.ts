// Loading a lima.yaml: parse the main file, mix in `$LIMA_HOME/_config/default.yaml` and
// `override.yaml`, check param usage and fill the defaults (Lima's limayaml.Load, no validation).
import { readFileSync } from "node:fs";
import path from "node:path";
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { limaHome as resolveLimaHome } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import { logger } from "../log/logger.js";
import { isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { decodeDocument } from "./decode.js";
import { fillDefault, type FillContext } from "./defaults.js";
import { hostContext } from "./host.js";
import { LIMA_YAML_SCHEMA } from "./schema.js";
import type { LimaYAML } from "./types.js";
import { validateParamIsUsed } from "./validate.js";

export interface LoadedConfig {
  config: LimaYAML;
  /** Every warning raised while loading (also logged): unknown fields, template failures, … */
  warnings: string[];
  /** Line in the main file of a field path of the filled config (`images[0].location`), if it came from there. */
  lineOf(path: string): number | undefined;
  filePath: string;
}

export interface LoadOptions {
  /** Warnings Lima shows only on create/edit (invalid host user name, …). */
  warn?: boolean;
  limaHome?: string;
  /** Host facts; defaults to hostContext(filePath). */
  context?: FillContext;
}

export interface ParsedSource {
  config: LimaYAML;
  lines: Map<string, number>;
  warnings: string[];
}

/** Lists whose sources are concatenated override, main, default (main entries shifted by the override's). */
const OVERRIDE_FIRST_LISTS = [
  "images",
  "additionalDisks",
  "provision",
  "probes",
  "portForwards",
  "copyToHost",
  "mountTypesUnsupported",
  "containerd.archives",
  "firmware.images",
];
/** Lists merged default, main, override by key: lines are only known when the main file is the only source. */
const MERGED_LISTS = ["mounts", "networks", "caCerts.files", "caCerts.certs", "dns"];

/**
 * Parses one lima.yaml source. `label` names it in messages (``main file `P` ``).
 * Syntax and type errors throw; unknown fields become warnings.
 */
export function parseSource(text: string, filePath: string, label: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) throw new LimaError(`failed to unmarshal YAML (${label}): ${formatYAMLError(syntaxError)}`);
  const decoded = decodeDocument(doc, lineCounter, LIMA_YAML_SCHEMA);
  const base = path.basename(filePath);
  const cite = (line: number | undefined) => (line === undefined ? "" : ` (${base}:${line})`);
  if (decoded.typeErrors.length > 0) {
    const messages = decoded.typeErrors.map((problem) => `${problem.message}${cite(problem.line)}`);
    throw new LimaError(`failed to unmarshal YAML (${label}): ${messages.join("\n")}`);
  }
  const warnings = decoded.unknown.map((problem) => {
    const hint = problem.suggestion === undefined ? "" : `; did you mean ${q(problem.suggestion)}?`;
    return `unknown field ${q(problem.path)} in ${label}${cite(problem.line)}${hint}`;
  });
  return { config: decoded.value as LimaYAML, lines: decoded.lines, warnings };
}

/** `[line:col] message`, then the source excerpt (like goccy/go-yaml's errors). */
function formatYAMLError(err: YAMLError): string {
  const [headline = "", ...excerpt] = err.message.split("\n");
  const text = headline.replace(/ at line \d+, column \d+:?$/, "");
  const pos = err.linePos?.[0];
  const where = pos ? `[${pos.line}:${pos.col}] ` : "";
  const snippet = excerpt.join("\n").trimEnd();
  return snippet === "" ? `${where}${text}` : `${where}${text}\n${snippet}`;
}

/** Reads and parses `_config/<name>`; a missing file is an empty config. */
function readConfigFile(limaHome: string, name: string, kind: string): ParsedSource {
  const file = path.join(limaHome, filenames.ConfigDir, name);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return { config: {}, lines: new Map(), warnings: [] };
    throw err;
  }
  logger.debug(`Mixing ${q(file)} into the configuration`);
  return parseSource(text, file, `${kind} file ${q(file)}`);
}

function listAt(y: LimaYAML, dotted: string): unknown[] {
  let value: unknown = y;
  for (const key of dotted.split(".")) value = (value as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(value) ? value : [];
}

/** Maps a field path of the filled config to the main file's line, if the entry came from there. */
function lineLookup(lines: Map<string, number>, y: LimaYAML, d: LimaYAML, o: LimaYAML): (p: string) => number | undefined {
  return (fieldPath: string) => {
    const m = /^([A-Za-z0-9.]+)\[(\d+)\](.*)$/.exec(fieldPath);
    if (!m) return lines.get(fieldPath);
    const [, list = "", index = "0", rest = ""] = m;
    let mainIndex = Number(index);
    if (OVERRIDE_FIRST_LISTS.includes(list)) {
      mainIndex -= listAt(o, list).length;
    } else if (MERGED_LISTS.includes(list) && (listAt(d, list).length > 0 || listAt(o, list).length > 0)) {
      return undefined;
    }
    if (mainIndex < 0 || mainIndex >= listAt(y, list).length) return undefined;
    return lines.get(`${list}[${mainIndex}]${rest}`);
  };
}

/**
 * Loads lima.yaml text: main file, then `_config/default.yaml` and `_config/override.yaml` of
 * LIMA_HOME, param-usage check, defaults and plain-mode fix-ups. Does not validate.
 */
export function loadYAML(text: string, filePath: string, options: LoadOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  const report = (message: string) => {
    warnings.push(message);
    logger.warn(message);
  };
  const main = parseSource(text, filePath, `main file ${q(filePath)}`);
  const limaHome = options.limaHome ?? options.context?.limaHome ?? resolveLimaHome();
  const d = readConfigFile(limaHome, filenames.Default, "default");
  const o = readConfigFile(limaHome, filenames.Override, "override");
  for (const message of [...main.warnings, ...d.warnings, ...o.warnings]) report(message);

  validateParamIsUsed(main.config);
  const original = structuredClone(main.config);
  const y = main.config;
  const ctx = options.context ?? hostContext(filePath, limaHome);
  fillDefault(y, d.config, o.config, filePath, ctx, { warn: options.warn ?? false, onWarning: report });
  return { config: y, warnings, lineOf: lineLookup(main.lines, original, d.config, o.config), filePath };
}
