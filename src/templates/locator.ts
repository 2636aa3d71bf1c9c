// Template locators (Lima: pkg/limatmpl/locator.go): image URLs, `template:NAME`, http(s), file://, `-`
// and local paths, after custom-scheme (`github:`, `limactl-url-*` plugins) transformation.
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { STATUS_CODES } from "node:http";
import path from "node:path";
import { DEFAULT_TIMEOUTS, type HttpTimeouts, httpRequest, readBody } from "../downloader/http.js";
import { validateIdentifier } from "../identifiers/validate.js";
import { logger } from "../log/logger.js";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { findPlugin, pluginEnv, URL_PLUGIN_PREFIX } from "../plugins/plugins.js";
import { transformGitHubURL } from "./github.js";
import { basePath, joinPath, parseGoURL } from "./gourl.js";
import { hostArch, imageArchKeyword, imageOS, imageTemplateText, instanceNameFromImageURL, isImageURL } from "./imagename.js";
import { readTemplate } from "./store.js";

export const TEMPLATE_BYTES_LIMIT = 4 * 1024 * 1024;

export interface Template {
  /** Instance name: given, or inferred from the locator ("" for stdin). */
  name: string;
  /** The locator as given, or the absolute path for local files. */
  locator: string;
  bytes: Uint8Array;
}

export interface ReadOptions {
  /** Use this instance name instead of inferring one from the locator. */
  name?: string;
  /** Bases and script files need no instance name (default true). */
  inferName?: boolean;
}

/** `template:NAME` (and the malformed `template://NAME`) -> NAME; undefined for other locators. */
export function templateURLName(locator: string): string | undefined {
  const u = parseGoURL(locator);
  if (u?.scheme !== "template") return undefined;
  return u.opaque !== "" ? u.opaque : joinPath(u.host, u.path);
}

export function isTemplateURL(locator: string): boolean {
  return templateURLName(locator) !== undefined;
}

export function isHTTPURL(locator: string): boolean {
  const scheme = parseGoURL(locator)?.scheme;
  return scheme === "http" || scheme === "https";
}

export function isFileURL(locator: string): boolean {
  return parseGoURL(locator)?.scheme === "file";
}

/** `dir/Ubuntu-24.04.yaml` -> `ubuntu-24.04`; the result must be a valid identifier. */
export function instanceNameFromYAMLPath(yamlPath: string): string {
  const name = path.basename(yamlPath).toLowerCase().replace(/\.yml$/, "").replace(/\.yaml$/, "");
  try {
    validateIdentifier(name);
  } catch (err) {
    throw new LimaError(`filename ${q(yamlPath)} is invalid: ${errorMessage(err)}`, { cause: err });
  }
  return name;
}

export function instanceNameFromURL(url: string): string {
  const u = parseGoURL(url);
  if (!u) throw new LimaError(`failed to parse URL ${q(url)}`);
  return instanceNameFromYAMLPath(basePath(u.path));
}

/** The instance name a locator implies, without reading it ("" for stdin). */
export function instanceNameFromLocator(locator: string): string {
  if (isImageURL(locator)) return instanceNameFromImageURL(locator, imageArchKeyword(locator) ?? defaultImageArch(locator));
  const templateName = templateURLName(locator);
  if (templateName !== undefined) return instanceNameFromYAMLPath(templateName);
  if (isHTTPURL(locator) || isFileURL(locator)) return instanceNameFromURL(locator);
  if (locator === "-") return "";
  return instanceNameFromYAMLPath(locator);
}

function defaultImageArch(locator: string) {
  return imageOS(locator) === "Darwin" ? "aarch64" : hostArch();
}

export async function readLocator(locator: string, options: ReadOptions = {}): Promise<Template> {
  const original = locator;
  const resolved = await transformCustomURL(locator);
  const given = options.name ?? "";
  const infer = (inferred: () => string) => (given !== "" || options.inferName === false ? given : inferred());
  if (isImageURL(resolved)) return imageTemplate(original, resolved, given, options.inferName !== false);
  const templateName = templateURLName(resolved);
  if (templateName !== undefined) {
    logger.debug(`interpreting argument ${q(resolved)} as a template name ${q(templateName)}`);
    const name = infer(() => instanceNameFromYAMLPath(templateName));
    return { name, locator: original, bytes: readTemplate(templateName) };
  }
  if (isHTTPURL(resolved)) {
    const name = infer(() => instanceNameFromURL(resolved));
    logger.debug(`interpreting argument ${q(resolved)} as a http url for instance ${q(name)}`);
    return { name, locator: original, bytes: await fetchTemplate(resolved) };
  }
  if (isFileURL(resolved)) {
    const name = infer(() => instanceNameFromURL(resolved));
    const filePath = resolved.replace(/^file:\/\//, "");
    if (!path.isAbsolute(filePath)) throw new LimaError(`file URL ${q(resolved)} is not an absolute path`);
    return { name, locator: original, bytes: readLocalFile(filePath) };
  }
  if (resolved === "-") return { name: given, locator: original, bytes: await readStdin() };
  const name = infer(() => instanceNameFromYAMLPath(resolved));
  const absolute = path.resolve(resolved);
  logger.debug(`interpreting argument ${q(resolved)} as a file path for instance ${q(name)}`);
  return { name, locator: absolute, bytes: readLocalFile(absolute) };
}

function imageTemplate(original: string, locator: string, name: string, inferName: boolean): Template {
  const os = imageOS(locator);
  let arch = imageArchKeyword(locator);
  if (arch === undefined) {
    arch = defaultImageArch(locator);
    if (os !== "Darwin") logger.warn(`cannot determine image arch from URL ${q(locator)}; assuming ${q(arch)}`);
  }
  const bytes = new TextEncoder().encode(imageTemplateText(locator, os, arch));
  return { name: name || !inferName ? name : instanceNameFromImageURL(locator, arch), locator: original, bytes };
}

function sizeLimitError(what: string): LimaError {
  return new LimaError(`${what} exceeded the limit (${TEMPLATE_BYTES_LIMIT} bytes)`);
}

/** Go-style `open PATH: reason` so the message names the file. */
function readLocalFile(filePath: string): Uint8Array {
  let bytes: Buffer;
  try {
    if (statSync(filePath).size > TEMPLATE_BYTES_LIMIT) throw sizeLimitError(`file ${q(filePath)}`);
    bytes = readFileSync(filePath);
  } catch (err) {
    if (err instanceof LimaError) throw err;
    throw new LimaError(`open ${filePath}: ${errnoText(err)}`, { cause: err });
  }
  return bytes;
}

function errnoText(err: unknown): string {
  const texts: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EISDIR: "is a directory",
    ENOTDIR: "not a directory",
  };
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return texts[code] ?? errorMessage(err);
}

/** GET through the downloader's client, so proxy variables and its timeouts apply as to image downloads. */
export async function fetchTemplate(url: string, timeouts: HttpTimeouts = DEFAULT_TIMEOUTS): Promise<Uint8Array> {
  const failed = (reason: string, cause?: unknown) => new LimaError(`failed to fetch template ${q(url)}: ${reason}`, { cause });
  const rethrow = (err: unknown): never => {
    throw failed(errorMessage(err), err);
  };
  const response = await httpRequest("GET", url, { timeouts, anyStatus: true }).catch(rethrow);
  if (response.status < 200 || response.status > 299) {
    response.body.resume();
    throw failed(`status ${response.status} ${STATUS_CODES[response.status] ?? ""}`.trimEnd());
  }
  const { bytes, complete } = await readBody(response.body, TEMPLATE_BYTES_LIMIT).catch(rethrow);
  if (!complete) throw sizeLimitError(`template ${q(url)}`);
  return bytes;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  } catch (err) {
    throw new LimaError(`unexpected error reading stdin: ${errorMessage(err)}`, { cause: err });
  }
  return Buffer.concat(chunks);
}

/** Applies custom-scheme transformations until the locator no longer changes. */
export async function transformCustomURL(locator: string): Promise<string> {
  const seen = new Set<string>();
  let current = locator;
  let usedGitHub = false;
  while (!seen.has(current)) {
    seen.add(current);
    if (current.startsWith("github:")) usedGitHub = true;
    const next = await transformOnce(current);
    if (next === current) {
      if (usedGitHub) logger.warn("The github: scheme is still EXPERIMENTAL");
      return current;
    }
    logger.debug(`Locator ${q(current)} replaced with ${q(next)}`);
    current = next;
  }
  throw new LimaError(`custom locator ${q(locator)} has a redirect loop`);
}

async function transformOnce(locator: string): Promise<string> {
  const u = parseGoURL(locator);
  if (!u || u.scheme.length <= 1) return locator;
  if (u.scheme === "template") {
    if (u.opaque !== "") return locator;
    const fixed = `template:${joinPath(u.host, u.path)}`;
    logger.warn(`Template locator ${q(locator)} should be written ${q(fixed)} since Lima v2.0`);
    return fixed;
  }
  if (u.scheme === "github") return transformGitHubURL(u.opaque);
  const plugin = findURLPlugin(u.scheme);
  if (plugin === undefined) return locator;
  return runURLPlugin(plugin, locator.slice(u.scheme.length + 1));
}

/** The `limactl-url-<scheme>` plugin for a locator scheme (Lima: plugins.Find("url-" + scheme)). */
export function findURLPlugin(scheme: string, dirs?: readonly string[]): string | undefined {
  return findPlugin(`${URL_PLUGIN_PREFIX}${scheme}`, dirs)?.path;
}

function runURLPlugin(plugin: string, argument: string): Promise<string> {
  const env = pluginEnv();
  return new Promise((resolve, reject) => {
    execFile(plugin, [argument], { env, maxBuffer: TEMPLATE_BYTES_LIMIT }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout.trim());
      const detail = stderr.trim() || errorMessage(err);
      reject(new LimaError(`command ${q(`${plugin} ${argument}`)} failed: ${detail}`, { cause: err }));
    });
  });
}
