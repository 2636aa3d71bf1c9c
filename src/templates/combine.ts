// After all bases are merged, list entries sharing a key are combined (Lima: combineListEntries):
// a later entry fills the unset fields of the earlier one and disappears; key `*` fills every earlier entry.
import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap } from "yaml";
import type { Node, YAMLSeq } from "yaml";
import { findPair, getNode, rootMap, scalarText, type YamlDoc } from "./yamldoc.js";

type FieldPath = readonly string[];

interface ListRule {
  list: string;
  keyOf: (item: unknown) => string;
  fill: (dst: YAMLMap, src: YAMLMap) => void;
  /** Keys (besides the item itself) whose comments travel with a combined entry. */
  commentKeys: readonly string[];
}

function getIn(node: unknown, fieldPath: FieldPath): unknown {
  let current = node;
  for (const key of fieldPath) current = getNode(current, key);
  return current;
}

function isUnset(node: unknown): boolean {
  return node === undefined || node === null || (isScalar(node) && node.value === null);
}

function isEmptyText(node: unknown): boolean {
  return (scalarText(node) ?? "") === "";
}

/** Copies `src.path` (value and head comment) to `dst.path`, creating intermediate maps. */
function copyField(dst: YAMLMap, src: YAMLMap, fieldPath: FieldPath): void {
  let target = dst;
  for (const key of fieldPath.slice(0, -1)) {
    let next = getNode(target, key);
    if (!isMap(next)) {
      next = new YAMLMap();
      target.set(new Scalar(key), next);
    }
    target = next as YAMLMap;
  }
  let source: unknown = src;
  for (const key of fieldPath.slice(0, -1)) source = getNode(source, key);
  const leaf = fieldPath[fieldPath.length - 1] ?? "";
  const sourcePair = isMap(source) ? findPair(source, leaf) : undefined;
  if (!sourcePair) return;
  const value = (sourcePair.value as Node).clone();
  const headComment = (sourcePair.key as Node).commentBefore;
  const existing = findPair(target, leaf);
  if (existing) {
    existing.value = value;
    (existing.key as Node).commentBefore = headComment;
    return;
  }
  const key = new Scalar(leaf);
  key.commentBefore = headComment;
  target.items.push(new Pair(key, value));
}

function fillWhenUnset(dst: YAMLMap, src: YAMLMap, fieldPath: FieldPath): void {
  if (isUnset(getIn(dst, fieldPath)) && !isUnset(getIn(src, fieldPath))) copyField(dst, src, fieldPath);
}

function fillWhenEmpty(dst: YAMLMap, src: YAMLMap, fieldPath: FieldPath): void {
  if (isEmptyText(getIn(dst, fieldPath)) && !isEmptyText(getIn(src, fieldPath))) copyField(dst, src, fieldPath);
}

function listLength(node: unknown): number {
  return isSeq(node) ? node.items.length : 0;
}

const DISKS: ListRule = {
  list: "additionalDisks",
  keyOf: (item) => (isScalar(item) ? (scalarText(item) ?? "") : (scalarText(getNode(item, "name")) ?? "")),
  fill(dst, src) {
    fillWhenUnset(dst, src, ["format"]);
    fillWhenUnset(dst, src, ["fsType"]);
    // fsArgs are inherited as a whole, never appended.
    if (listLength(getNode(dst, "fsArgs")) === 0 && listLength(getNode(src, "fsArgs")) > 0) copyField(dst, src, ["fsArgs"]);
  },
  commentKeys: [],
};

const MOUNT_FIELDS: readonly FieldPath[] = [
  ["mountPoint"], ["writable"],
  ["sshfs", "cache"], ["sshfs", "followSymlinks"], ["sshfs", "sftpDriver"],
  ["9p", "securityModel"], ["9p", "protocolVersion"], ["9p", "msize"], ["9p", "cache"],
  ["virtiofs", "queueSize"],
];

const MOUNTS: ListRule = {
  list: "mounts",
  keyOf: (item) => scalarText(getNode(item, "mountPoint")) ?? scalarText(getNode(item, "location")) ?? "",
  fill(dst, src) {
    for (const field of MOUNT_FIELDS) fillWhenUnset(dst, src, field);
  },
  commentKeys: ["sshfs", "9p", "virtiofs"],
};

const NETWORKS: ListRule = {
  list: "networks",
  keyOf: (item) => scalarText(getNode(item, "interface")) ?? "",
  fill(dst, src) {
    // `lima` and `socket` exclude each other: only fill them when the entry has neither.
    if (isEmptyText(getNode(dst, "lima")) && isEmptyText(getNode(dst, "socket"))) {
      fillWhenEmpty(dst, src, ["lima"]);
      fillWhenEmpty(dst, src, ["socket"]);
    }
    fillWhenEmpty(dst, src, ["macAddress"]);
    fillWhenUnset(dst, src, ["vzNAT"]);
    fillWhenUnset(dst, src, ["metric"]);
  },
  commentKeys: [],
};

/** A plain disk name is viewed as `{name: …}` so fields can be added to it. */
function entryAsMap(item: unknown): YAMLMap {
  if (isMap(item)) return item;
  const map = new YAMLMap();
  map.items.push(new Pair(new Scalar("name"), isScalar(item) ? item : new Scalar(item)));
  return map;
}

/** Replaces a plain entry by its map view once fields were added; its head comment moves to the map. */
function upgradeEntry(seq: YAMLSeq, index: number, view: YAMLMap): void {
  const item = seq.items[index];
  if (isMap(item) || view.items.length < 2) return;
  const name = view.items[0]?.value as Node;
  view.commentBefore = name.commentBefore;
  name.commentBefore = undefined;
  seq.items[index] = view;
}

function copyMissingComments(dst: Node | undefined, src: Node | undefined): void {
  if (!dst || !src) return;
  if (!dst.commentBefore && src.commentBefore) dst.commentBefore = src.commentBefore;
  if (!dst.comment && src.comment) dst.comment = src.comment;
}

function combineComments(rule: ListRule, dst: YAMLMap, src: YAMLMap): void {
  copyMissingComments(dst, src);
  for (const key of rule.commentKeys) {
    const dstPair = findPair(dst, key);
    const srcPair = findPair(src, key);
    if (dstPair && srcPair) copyMissingComments(dstPair.key as Node, srcPair.key as Node);
  }
}

function combineList(doc: YamlDoc, rule: ListRule): void {
  const seq = getNode(rootMap(doc), rule.list);
  if (!isSeq(seq)) return;
  const firstByKey = new Map<string, number>();
  for (let src = 0; src < seq.items.length; ) {
    const key = rule.keyOf(seq.items[src]);
    let targets: number[];
    if (key === "*") {
      targets = [...Array(src).keys()];
    } else if (firstByKey.has(key)) {
      targets = [firstByKey.get(key) as number];
    } else {
      if (key !== "") firstByKey.set(key, src);
      src++;
      continue;
    }
    const source = entryAsMap(seq.items[src]);
    for (const dstIndex of targets) {
      const dst = entryAsMap(seq.items[dstIndex]);
      rule.fill(dst, source);
      upgradeEntry(seq, dstIndex, dst);
      if (key !== "*") combineComments(rule, dst, source);
    }
    seq.items.splice(src, 1);
  }
}

export function combineListEntries(doc: YamlDoc): void {
  for (const rule of [DISKS, MOUNTS, NETWORKS]) combineList(doc, rule);
}
