// Merging a base template under a template (Lima: the `mergeDocuments` yq program in pkg/limatmpl/embed.go).
import { isMap, isScalar, isSeq, YAMLSeq } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { parseLimaVersion, compareSemVer } from "../version.js";
import { findPair, getNode, inheritDocumentComments, rootMap, scalarText, type YamlDoc } from "./yamldoc.js";

/** Top-level lists whose base entries go first: bases, and the scripts a base relies on. */
const PREPENDED_LISTS = new Set(["base", "provision", "probes"]);

/** Merges `base` into `tmpl` in place; `base` is consumed (its nodes move into `tmpl`). */
export function mergeBaseDocument(tmpl: YamlDoc, base: YamlDoc): void {
  const target = rootMap(tmpl);
  const source = rootMap(base);
  dropFirstBase(target);
  keepHigherVersion(target, source, ["minimumLimaVersion"], limaVersionGreater);
  keepHigherVersion(target, source, ["vmOpts", "qemu", "minimumVersion"], semverGreater);
  listifyBase(target, source);
  if (seqLength(getNode(target, "dns")) > 0) source.delete("dns");
  mergeMaps(target, source, true);
  inheritDocumentComments(tmpl, base);
  dedupe(getNode(target, "mountTypesUnsupported"));
}

function seqLength(node: unknown): number {
  if (isSeq(node)) return node.items.length;
  return scalarText(node)?.length ?? 0;
}

/** The base being merged right now is the first entry of `base`. */
function dropFirstBase(map: YAMLMap): void {
  const pair = findPair(map, "base");
  if (!pair) return;
  if (isSeq(pair.value) && pair.value.items.length > 1) {
    pair.value.items.shift();
    return;
  }
  removePair(map, pair);
}

/** Removing a pair keeps the part of its head comment that was separated by a blank line (file headers). */
export function removePair(map: YAMLMap, pair: Pair<unknown, unknown>): void {
  const index = map.items.indexOf(pair as Pair);
  const before = (pair.key as Node | undefined)?.commentBefore ?? "";
  map.items.splice(index, 1);
  const cut = before.lastIndexOf("\n\n");
  if (cut < 0) return;
  const header = before.slice(0, cut);
  const next = map.items[index]?.key as Node | undefined;
  if (next && typeof next === "object") {
    next.commentBefore = next.commentBefore ? `${header}\n\n${next.commentBefore}` : `${header}\n`;
    if (index === 0) next.spaceBefore = false;
  }
}

function listifyBase(target: YAMLMap, source: YAMLMap): void {
  if (!isSeq(getNode(target, "base"))) return;
  const pair = findPair(source, "base");
  if (!pair || isSeq(pair.value) || pair.value === null || pair.value === undefined) return;
  const seq = new YAMLSeq();
  seq.items.push(pair.value);
  pair.value = seq;
}

function mergeMaps(target: YAMLMap, source: YAMLMap, topLevel: boolean): void {
  for (const sourcePair of source.items) {
    const key = isScalar(sourcePair.key) ? String(sourcePair.key.value) : String(sourcePair.key);
    const targetPair = findPair(target, key);
    if (!targetPair) {
      target.items.push(sourcePair);
      continue;
    }
    const a = targetPair.value;
    const b = sourcePair.value;
    if (isMap(a) && isMap(b)) {
      mergeMaps(a, b, false);
    } else if (isSeq(a) && isSeq(b)) {
      if (topLevel && PREPENDED_LISTS.has(key)) a.items.unshift(...b.items);
      else a.items.push(...b.items);
      copyMissingKeyComments(targetPair, sourcePair);
    }
  }
}

function copyMissingKeyComments(target: Pair<unknown, unknown>, source: Pair<unknown, unknown>): void {
  const targetKey = target.key as Node;
  const sourceKey = source.key as Node;
  if (!isScalar(targetKey) || !isScalar(sourceKey)) return;
  if (!targetKey.commentBefore && sourceKey.commentBefore) targetKey.commentBefore = sourceKey.commentBefore;
  if (!targetKey.comment && sourceKey.comment) targetKey.comment = sourceKey.comment;
}

function dedupe(node: unknown): void {
  if (!isSeq(node)) return;
  const seen = new Set<string>();
  node.items = node.items.filter((item) => {
    const text = isScalar(item) ? String(item.value) : JSON.stringify(item);
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

function pairAt(map: YAMLMap, keyPath: string[]): Pair<unknown, unknown> | undefined {
  let current: unknown = map;
  let pair: Pair<unknown, unknown> | undefined;
  for (const key of keyPath) {
    if (!isMap(current)) return undefined;
    pair = findPair(current, key);
    current = pair?.value;
  }
  return pair;
}

/** When both documents set a minimum version and the base's is higher, the base's value (and head comment) wins. */
function keepHigherVersion(target: YAMLMap, source: YAMLMap, keyPath: string[], greater: (a: string, b: string) => boolean): void {
  const targetPair = pairAt(target, keyPath);
  const sourcePair = pairAt(source, keyPath);
  const targetVersion = scalarText(targetPair?.value);
  const sourceVersion = scalarText(sourcePair?.value);
  if (!targetPair || !sourcePair || targetVersion === undefined || sourceVersion === undefined) return;
  if (!greater(sourceVersion, targetVersion)) return;
  targetPair.value = sourcePair.value;
  (targetPair.key as Node).commentBefore = (sourcePair.key as Node).commentBefore;
}

function limaVersionGreater(a: string, b: string): boolean {
  const va = parseLimaVersion(a);
  const vb = parseLimaVersion(b);
  return va !== undefined && vb !== undefined && compareSemVer(va, vb) > 0;
}

function semverGreater(a: string, b: string): boolean {
  const parse = (v: string) => /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim())?.slice(1).map(Number);
  const va = parse(a);
  const vb = parse(b);
  if (!va || !vb) return false;
  for (let i = 0; i < 3; i++) if ((va[i] ?? 0) !== (vb[i] ?? 0)) return (va[i] ?? 0) > (vb[i] ?? 0);
  return false;
}
