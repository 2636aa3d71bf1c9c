// Relative `base` and provision/probe `file` locators are resolved against the template's own
// location (Lima: pkg/limatmpl/abs.go), so an embedded or copied template keeps working.
import os from "node:os";
import path from "node:path";
import { isMap, isScalar, isSeq } from "yaml";
import type { Scalar } from "yaml";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { dirPath, hasURLScheme, joinPath, parseGoURL } from "./gourl.js";
import { getNode, rootMap, type YamlDoc } from "./yamldoc.js";

/** The "directory" of a locator: `template:_images`, `https://host/dir`, or an absolute directory. */
export function locatorDir(locator: string): string {
  const u = parseGoURL(locator);
  if (u && u.scheme.length > 1) {
    if (u.opaque !== "") return `${u.scheme}:${dirPath(u.opaque).replace(/\.$/, "")}`;
    return `${u.scheme}://${dirPath(joinPath(u.host, u.path)).replace(/\.$/, "")}`;
  }
  return path.resolve(path.dirname(locator));
}

function expandTilde(locator: string): string {
  if (locator === "~") return os.homedir();
  if (locator.startsWith("~/")) return path.join(os.homedir(), locator.slice(2));
  return locator;
}

/** URLs and absolute paths are kept; relative paths are joined to `dir`. */
export function absLocator(locator: string, dir: string): string {
  if (locator === "") throw new LimaError("locator is empty");
  if (hasURLScheme(locator)) return locator;
  const expanded = expandTilde(locator);
  if (path.isAbsolute(expanded)) return path.normalize(expanded);
  if (expanded.includes("../") || expanded.includes("..\\")) {
    throw new LimaError(`relative locator path ${q(expanded)} must not contain '..' path segments`);
  }
  const u = parseGoURL(dir);
  if (u && u.scheme.length > 1) {
    if (u.opaque !== "" || (u.scheme === "template" && u.host === "")) return `${u.scheme}:${joinPath(u.opaque, expanded)}`;
    return `${u.scheme}://${joinPath(u.host, u.path, expanded)}`;
  }
  return path.join(dir, expanded);
}

/** The scalar holding a locator: the entry itself, or its `url` field. */
export function locatorScalar(entry: unknown): Scalar | undefined {
  const node = isMap(entry) ? getNode(entry, "url") : entry;
  return isScalar(node) && typeof node.value === "string" ? node : undefined;
}

/** `base` may be a locator, a `{url, digest}` map, or a list of either. */
export function baseEntries(doc: YamlDoc): unknown[] {
  const base = getNode(rootMap(doc), "base");
  if (base === undefined || (isScalar(base) && base.value === null)) return [];
  return isSeq(base) ? base.items : [base];
}

/** Every `file` entry of provision and probes. */
export function scriptFileEntries(doc: YamlDoc): unknown[] {
  const entries: unknown[] = [];
  for (const list of ["provision", "probes"]) {
    const seq = getNode(rootMap(doc), list);
    if (!isSeq(seq)) continue;
    for (const item of seq.items) {
      const file = getNode(item, "file");
      if (file !== undefined) entries.push(file);
    }
  }
  return entries;
}

export function useAbsLocators(doc: YamlDoc, locator: string): void {
  const dir = locatorDir(locator);
  for (const entry of [...baseEntries(doc), ...scriptFileEntries(doc)]) {
    const scalar = locatorScalar(entry);
    if (!scalar) continue;
    const absolute = absLocator(scalar.value as string, dir);
    if (absolute !== scalar.value) scalar.value = absolute;
  }
}
