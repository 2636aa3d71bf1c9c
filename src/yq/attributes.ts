// Node attributes yq can read and assign: tag, style, comments, anchor.
import { isMap, isScalar, isSeq, Scalar } from "yaml";
import { YqEvalError } from "./arithmetic.js";
import { detached, type Candidate, type Evaluator } from "./evaluate.js";
import { scalarText, tagName, tagOf, type YNode } from "./nodes.js";
import type { Ast, Attribute } from "./parser.js";

const YAML_TAG_PREFIX = "tag:yaml.org,2002:";

/** yq's style names for the `yaml` package's scalar types and flow collections. */
const STYLE_OF_TYPE: Record<string, string> = {
  QUOTE_DOUBLE: "double",
  QUOTE_SINGLE: "single",
  BLOCK_LITERAL: "literal",
  BLOCK_FOLDED: "folded",
};
const TYPE_OF_STYLE: Record<string, Scalar.Type> = {
  double: "QUOTE_DOUBLE",
  single: "QUOTE_SINGLE",
  literal: "BLOCK_LITERAL",
  folded: "BLOCK_FOLDED",
};

export function styleOf(node: YNode): string {
  if (isMap(node) || isSeq(node)) return node.flow ? "flow" : "";
  if (node.tag !== undefined && tagOf(node).startsWith("!!") && node.tag.startsWith(YAML_TAG_PREFIX)) return "tagged";
  return STYLE_OF_TYPE[node.type ?? ""] ?? "";
}

export function setStyle(node: YNode, style: string): void {
  if (isMap(node) || isSeq(node)) {
    node.flow = style === "flow";
    if (style === "tagged") node.tag = `${YAML_TAG_PREFIX}${tagOf(node).slice(2)}`;
    return;
  }
  if (style === "tagged") {
    node.tag = `${YAML_TAG_PREFIX}${tagOf(node).slice(2)}`;
    return;
  }
  if (node.tag?.startsWith(YAML_TAG_PREFIX)) node.tag = undefined;
  // A flow collection's scalars keep their quoting; "flow" on a scalar means plain.
  node.type = TYPE_OF_STYLE[style] ?? "PLAIN";
  if (node.type !== "PLAIN" && typeof node.value !== "string" && node.value !== null) node.value = scalarText(node);
}

/** `tag = "!!str"` converts standard scalars (yq prints `"5"`); other tags are written out. */
export function setTag(node: YNode, tag: string): YNode {
  if (isScalar(node) && tag === "!!str") return retyped(node, scalarText(node));
  if (isScalar(node) && (tag === "!!int" || tag === "!!float")) {
    const n = Number(scalarText(node));
    if (!Number.isNaN(n)) return retyped(node, n);
  }
  if (isScalar(node) && tag === "!!bool" && /^(true|false)$/i.test(scalarText(node))) return retyped(node, /^true$/i.test(scalarText(node)));
  if (isScalar(node) && tag === "!!null") return retyped(node, null);
  if (tag === tagName(node)) return node;
  node.tag = tag.startsWith("!!") ? `${YAML_TAG_PREFIX}${tag.slice(2)}` : tag;
  return node;
}

function retyped(node: Scalar, value: unknown): Scalar {
  const out = new Scalar(value);
  out.comment = node.comment;
  out.commentBefore = node.commentBefore;
  out.spaceBefore = node.spaceBefore;
  return out;
}

/** A comment as yq shows it: without the `#` and the space after it. */
function commentText(raw: string | null | undefined): string {
  return (raw ?? "")
    .split("\n")
    .map((line) => line.replace(/^ ?/, ""))
    .join("\n");
}

function toComment(text: string): string | undefined {
  if (text === "") return undefined;
  return text
    .split("\n")
    .map((line) => ` ${line.replace(/^# ?/, "")}`)
    .join("\n");
}

export function getAttribute(attr: Attribute, c: Candidate): YNode {
  const node = c.node;
  switch (attr) {
    case "tag":
      return new Scalar(c.isKey ? "!!str" : tagName(node));
    case "style":
      return new Scalar(styleOf(node));
    case "line_comment":
      return new Scalar(commentText(node.comment));
    case "head_comment":
      return new Scalar(commentText(node.commentBefore));
    case "anchor":
      return new Scalar(node.anchor ?? "");
    default:
      return new Scalar("");
  }
}

function setAttribute(attr: Attribute, c: Candidate, value: YNode, ev: Evaluator): void {
  const text = isScalar(value) && value.value !== null ? scalarText(value) : "";
  const node = c.node;
  switch (attr) {
    case "tag": {
      const replaced = setTag(node, text);
      if (replaced !== node) ev.replace(c, replaced);
      return;
    }
    case "style":
      setStyle(node, text);
      return;
    case "line_comment":
      node.comment = toComment(text);
      return;
    case "head_comment":
      node.commentBefore = toComment(text);
      return;
    case "foot_comment":
      return;
    case "comments":
      node.comment = toComment(text);
      node.commentBefore = toComment(text);
      return;
    case "anchor":
      node.anchor = text === "" ? undefined : text;
      return;
    default:
      throw new YqEvalError(`cannot assign ${attr}`);
  }
}

/** `target attr = value` (value read from the context) and `target attr |= value` (from each target). */
export function assignAttribute(ev: Evaluator, attr: Attribute, relative: boolean, target: Ast, value: Ast, c: Candidate): Candidate[] {
  const fixed = relative ? undefined : ev.first(value, c);
  for (const t of ev.eval(target, c)) {
    const v = fixed ?? ev.first(value, detached(t.node, t));
    if (!relative && attr === "comments" && isScalar(v)) {
      // `... comments = ""` clears every comment below.
      clearComments(t.node, toComment(scalarText(v)));
      continue;
    }
    setAttribute(attr, t, v, ev);
  }
  return [c];
}

function clearComments(node: YNode, comment: string | undefined): void {
  node.comment = comment;
  node.commentBefore = comment;
}
