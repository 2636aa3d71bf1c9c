// Embedding (Lima: pkg/limatmpl/embed.go): all `base` templates are merged into the template, depth first,
// and provision/probe files are inlined, so the result no longer depends on other files.
import { existsSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, Scalar, YAMLSeq } from "yaml";
import { limaConfigDir } from "../store/dirnames.js";
import { Base as BASE_YAML } from "../store/filenames.js";
import { logger } from "../log/logger.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { baseEntries, locatorScalar, useAbsLocators } from "./abs.js";
import { combineListEntries } from "./combine.js";
import { isTemplateURL, readLocator, TEMPLATE_BYTES_LIMIT, type Template } from "./locator.js";
import { mergeBaseDocument } from "./merge.js";
import { embedAllScripts } from "./scripts.js";
import { findPair, getNode, parseYaml, rootMap, stringifyYaml, type YamlDoc } from "./yamldoc.js";

export interface EmbedOptions {
  /** Also embed `template:` bases and files. */
  embedAll: boolean;
  /** Start the chain with `$LIMA_HOME/_config/base.yaml` (when it exists). */
  defaultBase: boolean;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function templateText(tmpl: Template): string {
  return decoder.decode(tmpl.bytes);
}

export async function embed(tmpl: Template, options: EmbedOptions): Promise<Template> {
  const doc = parseYaml(templateText(tmpl), tmpl.locator);
  useAbsLocators(doc, tmpl.locator);
  await embedAllBases(doc, tmpl.locator, options.embedAll, options.defaultBase, new Set());
  combineListEntries(doc);
  return { ...tmpl, bytes: encoder.encode(sizeChecked(doc, tmpl.locator)) };
}

/** Makes relative locators absolute without embedding anything (`template copy` without --embed). */
export function withAbsLocators(tmpl: Template): Template {
  const doc = parseYaml(templateText(tmpl), tmpl.locator);
  useAbsLocators(doc, tmpl.locator);
  return { ...tmpl, bytes: encoder.encode(stringifyYaml(doc)) };
}

function sizeChecked(doc: YamlDoc, locator: string): string {
  const text = stringifyYaml(doc);
  if (Buffer.byteLength(text) > TEMPLATE_BYTES_LIMIT) {
    throw new LimaError(`template ${q(locator)} embedding exceeded the size limit (${TEMPLATE_BYTES_LIMIT} bytes)`);
  }
  return text;
}

function prependDefaultBase(doc: YamlDoc): void {
  const baseYAML = path.join(limaConfigDir(), BASE_YAML);
  if (!existsSync(baseYAML)) return;
  const map = rootMap(doc);
  const pair = findPair(map, "base");
  const entry = new Scalar(baseYAML);
  if (!pair || (isScalar(pair.value) && pair.value.value === null)) {
    const seq = new YAMLSeq();
    seq.items.push(entry);
    map.set("base", seq);
    return;
  }
  if (isSeq(pair.value)) {
    pair.value.items.unshift(entry);
    return;
  }
  const seq = new YAMLSeq();
  seq.items.push(entry, pair.value);
  pair.value = seq;
}

interface BaseRef {
  url: string;
  digest: string | undefined;
}

function baseRefs(doc: YamlDoc, locator: string): BaseRef[] {
  return baseEntries(doc).map((entry) => {
    const url = locatorScalar(entry)?.value;
    if (typeof url !== "string") throw new LimaError(`template ${q(locator)} has an invalid \`base\` entry`);
    const digest = isMap(entry) ? getNode(entry, "digest") : undefined;
    return { url, digest: isScalar(digest) && digest.value !== null ? String(digest.value) : undefined };
  });
}

async function embedAllBases(doc: YamlDoc, locator: string, embedAll: boolean, defaultBase: boolean, seen: Set<string>): Promise<void> {
  logger.debug(`Embedding templates into ${q(locator)}`);
  if (defaultBase) prependDefaultBase(doc);
  for (;;) {
    const bases = baseRefs(doc, locator);
    const first = bases[0];
    if (!first) break;
    if (first.digest !== undefined) {
      throw new LimaError(`base ${q(first.url)} in ${q(locator)} has specified a digest; digest support is not yet implemented`);
    }
    if (isTemplateURL(first.url) && !embedAll) {
      // Once a `template:` base stays a reference, later bases cannot be merged before it.
      const later = bases.slice(1).find((b) => !isTemplateURL(b.url));
      if (later) throw new LimaError(`cannot embed template ${q(later.url)} after not embedding ${q(first.url)}`);
      break;
    }
    if (seen.has(first.url)) throw new LimaError(`base template loop detected: template ${q(first.url)} already included`);
    seen.add(first.url);
    await embedBase(doc, locator, first.url, embedAll, seen);
  }
  await embedAllScripts(doc, embedAll);
  sizeChecked(doc, locator);
}

async function embedBase(doc: YamlDoc, locator: string, baseURL: string, embedAll: boolean, seen: Set<string>): Promise<void> {
  logger.debug(`Embedding base ${q(baseURL)} in template ${q(locator)}`);
  const base = await readLocator(baseURL, { inferName: false });
  const baseDoc = parseYaml(templateText(base), base.locator);
  useAbsLocators(baseDoc, base.locator);
  await embedAllBases(baseDoc, base.locator, embedAll, false, seen);
  mergeBaseDocument(doc, baseDoc);
  sizeChecked(doc, locator);
}

export interface TemplateCopyOptions {
  embed?: boolean;
  embedAll?: boolean;
  /** Implies embedAll and prepends `_config/base.yaml`; filling defaults is left to the caller. */
  fill?: boolean;
  verbatim?: boolean;
}

/** Reads and prepares a template the way `limactl template copy` does, except for the `--fill` step. */
export async function prepareTemplateCopy(locator: string, options: TemplateCopyOptions = {}): Promise<Template> {
  const fill = options.fill ?? false;
  const embedAll = fill || (options.embedAll ?? false);
  const doEmbed = embedAll || (options.embed ?? false);
  if (doEmbed && options.verbatim) throw new LimaError("--verbatim cannot be used with any of --embed, --embed-all, or --fill");
  const tmpl = await readLocator(locator);
  if (tmpl.bytes.length === 0) throw new LimaError(`don't know how to interpret ${q(locator)} as a template locator`);
  if (options.verbatim) return tmpl;
  if (doEmbed) return embed(tmpl, { embedAll, defaultBase: fill });
  return withAbsLocators(tmpl);
}

export async function templateCopy(locator: string, options: TemplateCopyOptions = {}): Promise<string> {
  return templateText(await prepareTemplateCopy(locator, options));
}
