// Binary operators on nodes: + - * / % and comparisons, with yq's semantics.
import { isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { asNode, cloneNode, compareNodes, deepEqual, findPair, isNullNode, keyText, numberOf, scalarText, tagOf, type YNode } from "./nodes.js";

export class YqEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "YqEvalError";
  }
}

function numberNode(value: number, asFloat: boolean): Scalar {
  const node = new Scalar(value);
  if (asFloat && Number.isInteger(value)) node.minFractionDigits = 1;
  return node;
}

function bothNumbers(lhs: YNode, rhs: YNode): [number, number, boolean] | undefined {
  const a = numberOf(lhs);
  const b = numberOf(rhs);
  if (a === undefined || b === undefined) return undefined;
  return [a, b, tagOf(lhs) === "!!float" || tagOf(rhs) === "!!float"];
}

function typeError(op: string, lhs: YNode, rhs: YNode): YqEvalError {
  return new YqEvalError(`${tagOf(lhs)} (${describe(lhs)}) cannot be ${op} ${tagOf(rhs)} (${describe(rhs)})`);
}

function describe(node: YNode): string {
  return isScalar(node) ? scalarText(node) : tagOf(node);
}

export function add(lhs: YNode, rhs: YNode): YNode {
  if (isNullNode(lhs)) return cloneNode(rhs);
  if (isNullNode(rhs)) return cloneNode(lhs);
  if (isSeq(lhs)) {
    const out = cloneNode(lhs);
    if (out.items.length === 0) out.flow = false;
    if (isSeq(rhs)) for (const item of rhs.items) out.items.push(cloneNode(asNode(item)));
    else out.items.push(cloneNode(rhs));
    return out;
  }
  if (isMap(lhs) && isMap(rhs)) {
    const out = cloneNode(lhs);
    if (out.items.length === 0) out.flow = false;
    for (const pair of rhs.items) setPair(out, keyText(pair.key), cloneNode(asNode(pair.value)));
    return out;
  }
  if (isScalar(lhs) && isScalar(rhs)) {
    const nums = bothNumbers(lhs, rhs);
    if (nums) return numberNode(nums[0] + nums[1], nums[2]);
    if (typeof lhs.value === "string" || typeof rhs.value === "string") return new Scalar(scalarText(lhs) + scalarText(rhs));
  }
  throw typeError("added to", lhs, rhs);
}

export function subtract(lhs: YNode, rhs: YNode): YNode {
  if (isSeq(lhs)) {
    const remove = isSeq(rhs) ? rhs.items.map((item) => asNode(item)) : [rhs];
    const out = new YAMLSeq();
    for (const item of lhs.items) {
      const node = asNode(item);
      if (!remove.some((r) => deepEqual(node, r))) out.items.push(cloneNode(node));
    }
    return out;
  }
  if (isMap(lhs) && isSeq(rhs)) {
    const out = cloneNode(lhs);
    const keys = new Set(rhs.items.map((item) => keyText(item)));
    out.items = out.items.filter((pair) => !keys.has(keyText(pair.key)));
    return out;
  }
  if (isNullNode(lhs)) return isSeq(rhs) ? new YAMLSeq() : negate(rhs, lhs);
  const nums = bothNumbers(lhs, rhs);
  if (nums) return numberNode(nums[0] - nums[1], nums[2]);
  throw typeError("subtracted from", rhs, lhs);
}

function negate(rhs: YNode, lhs: YNode): YNode {
  const n = numberOf(rhs);
  if (n === undefined) throw typeError("subtracted from", rhs, lhs);
  return numberNode(-n, tagOf(rhs) === "!!float");
}

/** `*`: deep merge for maps (rhs wins, arrays replaced), multiplication for numbers. */
export function multiply(lhs: YNode, rhs: YNode): YNode {
  if (isMap(lhs) && isMap(rhs)) {
    const out = cloneNode(lhs);
    if (out.items.length === 0) out.flow = false;
    return deepMerge(out, rhs);
  }
  const nums = bothNumbers(lhs, rhs);
  if (nums) return numberNode(nums[0] * nums[1], nums[2]);
  if (isNullNode(lhs) || isMap(rhs) || isSeq(rhs)) return cloneNode(rhs);
  if (isScalar(lhs) && isScalar(rhs) && typeof lhs.value === "string" && typeof rhs.value === "number") {
    return new Scalar(lhs.value.repeat(Math.max(0, rhs.value)));
  }
  if (isScalar(rhs) && !isNullNode(rhs)) return cloneNode(rhs);
  return cloneNode(lhs);
}

function deepMerge(target: YAMLMap, source: YAMLMap): YAMLMap {
  for (const pair of source.items) {
    const key = keyText(pair.key);
    const value = asNode(pair.value);
    const existing = findPair(target, key);
    const current = existing ? asNode(existing.value) : undefined;
    if (current && isMap(current) && isMap(value)) deepMerge(current, value);
    else setPair(target, key, cloneNode(value));
  }
  return target;
}

function setPair(map: YAMLMap, key: string, value: YNode): void {
  const existing = findPair(map, key);
  if (existing) existing.value = value;
  else map.items.push(new Pair(new Scalar(key), value));
}

export function divide(lhs: YNode, rhs: YNode): YNode {
  if (isScalar(lhs) && isScalar(rhs) && typeof lhs.value === "string" && typeof rhs.value === "string") {
    const out = new YAMLSeq();
    for (const part of lhs.value.split(rhs.value)) out.items.push(new Scalar(part));
    return out;
  }
  const nums = bothNumbers(lhs, rhs);
  if (!nums) throw typeError("divided by", lhs, rhs);
  if (nums[1] === 0 && !nums[2]) throw new YqEvalError("cannot divide by 0");
  const result = nums[0] / nums[1];
  return numberNode(result, nums[2] || !Number.isInteger(result));
}

export function modulo(lhs: YNode, rhs: YNode): YNode {
  const nums = bothNumbers(lhs, rhs);
  if (!nums) throw typeError("divided by", lhs, rhs);
  if (nums[1] === 0 && !nums[2]) throw new YqEvalError("cannot modulo by 0");
  return numberNode(nums[0] % nums[1], nums[2]);
}

/** yq's `==`: scalars compare by their written text, `*` in the rhs is a wildcard. */
export function equals(lhs: YNode, rhs: YNode): boolean {
  if (isNullNode(lhs) || isNullNode(rhs)) return isNullNode(lhs) && isNullNode(rhs);
  if (isScalar(lhs) && isScalar(rhs)) {
    const pattern = scalarText(rhs);
    const text = scalarText(lhs);
    if (typeof rhs.value === "string" && pattern.includes("*")) return wildcardMatch(text, pattern);
    const nums = bothNumbers(lhs, rhs);
    if (nums && nums[0] === nums[1]) return true;
    return text === pattern;
  }
  return deepEqual(lhs, rhs);
}

function wildcardMatch(text: string, pattern: string): boolean {
  const re = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${re}$`, "s").test(text);
}

export function compare(op: "<" | "<=" | ">" | ">=", lhs: YNode, rhs: YNode): boolean {
  if (!isScalar(lhs) || !isScalar(rhs)) throw new YqEvalError(`${tagOf(lhs)} not yet supported for comparison`);
  const nums = bothNumbers(lhs, rhs);
  let order: number;
  if (nums) order = nums[0] - nums[1];
  else if (isNullNode(lhs) || isNullNode(rhs)) order = compareNodes(lhs, rhs);
  else {
    const a = scalarText(lhs);
    const b = scalarText(rhs);
    order = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (op) {
    case "<":
      return order < 0;
    case "<=":
      return order <= 0;
    case ">":
      return order > 0;
    default:
      return order >= 0;
  }
}
