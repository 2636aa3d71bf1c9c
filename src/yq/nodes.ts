// Helpers over the `yaml` package's node classes: the value model of the evaluator.
import { isAlias, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Document } from "yaml";

export type YNode = Scalar | YAMLMap | YAMLSeq;

export type Tag = "!!null" | "!!bool" | "!!int" | "!!float" | "!!str" | "!!map" | "!!seq";

const YAML_TAG_PREFIX = "tag:yaml.org,2002:";
const STANDARD_TAGS = new Set<string>(["!!null", "!!bool", "!!int", "!!float", "!!str", "!!map", "!!seq"]);

/** The node's tag as yq shows it, custom tags (`!!thing`, `!local`) included. */
export function tagName(node: YNode): string {
  const explicit = node.tag;
  if (explicit === undefined) return tagOf(node);
  const short = explicit.startsWith(YAML_TAG_PREFIX) ? `!!${explicit.slice(YAML_TAG_PREFIX.length)}` : explicit;
  return STANDARD_TAGS.has(short) || short === "!!binary" || short === "!!timestamp" ? tagOf(node) : short;
}

/** Normalises whatever sits in a collection slot (node, alias, plain value, nothing) to a node. */
export function asNode(value: unknown, doc?: Document): YNode {
  if (value === null || value === undefined) return new Scalar(null);
  if (isAlias(value)) return asNode(doc ? value.resolve(doc) : undefined);
  if (isScalar(value) || isMap(value) || isSeq(value)) return value;
  return fromJS(value);
}

/** Builds block-style nodes from a plain JS value. */
export function fromJS(value: unknown): YNode {
  if (value instanceof Map) {
    const map = new YAMLMap();
    for (const [k, v] of value) map.items.push(new Pair(new Scalar(String(k)), fromJS(v)));
    return map;
  }
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    for (const item of value) seq.items.push(fromJS(item));
    return seq;
  }
  if (value !== null && typeof value === "object") {
    const map = new YAMLMap();
    for (const [k, v] of Object.entries(value)) map.items.push(new Pair(new Scalar(k), fromJS(v)));
    return map;
  }
  if (value === undefined || value === null) return new Scalar(null);
  if (typeof value === "bigint") return new Scalar(Number(value));
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return new Scalar(value);
  return new Scalar(String(value));
}

export function toJS(node: YNode, doc?: Document): unknown {
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) out[keyText(pair.key, doc)] = toJS(asNode(pair.value, doc), doc);
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => toJS(asNode(item, doc), doc));
  const value = node.value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value ?? null;
}

export function keyText(key: unknown, doc?: Document): string {
  const node = asNode(key, doc);
  return isScalar(node) ? scalarText(node) : String(toJS(node, doc));
}

/** The text yq compares scalars by: the value as it is written. */
export function scalarText(node: Scalar): string {
  const value = node.value;
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" && node.source !== undefined && node.source !== "" && Number(node.source.replace(/_/g, "")) === value) {
    return node.source;
  }
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function tagOf(node: YNode): Tag {
  if (isMap(node)) return "!!map";
  if (isSeq(node)) return "!!seq";
  const explicit = node.tag;
  if (explicit === "!!str" || explicit === "tag:yaml.org,2002:str") return "!!str";
  const value = node.value;
  if (value === null || value === undefined) return "!!null";
  if (typeof value === "boolean") return "!!bool";
  if (typeof value === "bigint") return "!!int";
  if (typeof value === "number") return isFloat(node) ? "!!float" : "!!int";
  return "!!str";
}

function isFloat(node: Scalar): boolean {
  const value = node.value as number;
  if (!Number.isFinite(value)) return true;
  if (node.source !== undefined && node.source !== "") return /[.eE]/.test(node.source) && !/^0x/i.test(node.source);
  return !Number.isInteger(value) || node.format === "EXP" || (node.minFractionDigits ?? 0) > 0;
}

export function isNullNode(node: YNode): boolean {
  return isScalar(node) && (node.value === null || node.value === undefined);
}

export function isTruthy(node: YNode): boolean {
  if (!isScalar(node)) return true;
  return !(node.value === null || node.value === undefined || node.value === false);
}

export function numberOf(node: YNode): number | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === "number") return node.value;
  if (typeof node.value === "bigint") return Number(node.value);
  return undefined;
}

export function findPair(map: YAMLMap, key: string, doc?: Document): Pair | undefined {
  return map.items.find((pair) => keyText(pair.key, doc) === key);
}

export function cloneNode<T extends YNode>(node: T): T {
  return node.clone() as T;
}

export function deepEqual(a: YNode, b: YNode, doc?: Document): boolean {
  if (isScalar(a) && isScalar(b)) {
    if (isNullNode(a) || isNullNode(b)) return isNullNode(a) && isNullNode(b);
    return scalarText(a) === scalarText(b);
  }
  if (isSeq(a) && isSeq(b)) {
    return a.items.length === b.items.length && a.items.every((item, i) => deepEqual(asNode(item, doc), asNode(b.items[i], doc), doc));
  }
  if (isMap(a) && isMap(b)) {
    if (a.items.length !== b.items.length) return false;
    return a.items.every((pair) => {
      const other = findPair(b, keyText(pair.key, doc), doc);
      return other !== undefined && deepEqual(asNode(pair.value, doc), asNode(other.value, doc), doc);
    });
  }
  return false;
}

const TYPE_ORDER: Record<Tag, number> = { "!!null": 0, "!!bool": 1, "!!int": 2, "!!float": 2, "!!str": 3, "!!seq": 4, "!!map": 5 };

/** Ordering used by sort/min/max: by type first, then by value. */
export function compareNodes(a: YNode, b: YNode): number {
  const byType = TYPE_ORDER[tagOf(a)] - TYPE_ORDER[tagOf(b)];
  if (byType !== 0) return byType;
  const na = numberOf(a);
  const nb = numberOf(b);
  if (na !== undefined && nb !== undefined) return na - nb;
  if (isScalar(a) && isScalar(b)) {
    const sa = scalarText(a);
    const sb = scalarText(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  const ja = JSON.stringify(toJS(a));
  const jb = JSON.stringify(toJS(b));
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** A string usable as a grouping/dedup key. */
export function identityKey(node: YNode): string {
  if (isScalar(node)) return isNullNode(node) ? "null" : scalarText(node);
  return JSON.stringify(toJS(node));
}
