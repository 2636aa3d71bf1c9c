// Comment-preserving YAML documents for template editing, printed the way Lima's yq+yamlfmt pipeline
// prints them: 2-space indent, indentless sequences, no folding, line comments padded by two spaces.
import { Document, isCollection, isMap, isNode, isPair, isScalar, parseDocument, visit } from "yaml";
import type { Node, Pair, Scalar, YAMLMap } from "yaml";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

export type YamlDoc = Document.Parsed | Document;

/** Whether the document's trailing comment was separated from the content by a blank line. */
const trailingCommentSpaced = new WeakMap<object, boolean>();

export function parseYaml(text: string, locator: string): YamlDoc {
  const doc = parseDocument(text, { keepSourceTokens: true, resolveKnownTags: false, uniqueKeys: false });
  const error = doc.errors[0];
  if (error) throw new LimaError(`failed to parse YAML in ${q(locator)}: ${error.message}`, { cause: error });
  normalizeComments(doc, text);
  trailingCommentSpaced.set(doc, hasBlankLineBeforeTrailingComment(doc, text));
  return doc;
}

/**
 * The parser attaches `key: # note` and the head comment of a nested collection's first entry to the
 * collection node; Lima (yq) keeps them on the key and on the entry, which matters once entries are
 * merged or moved, so they are relocated here.
 */
function normalizeComments(doc: YamlDoc, text: string): void {
  visit(doc, {
    Pair(_, pair) {
      const value = pair.value;
      if (!isCollection(value) || value.flow || !value.commentBefore) return;
      let comment: string | undefined = value.commentBefore;
      if (isScalar(pair.key) && keyLineHasComment(text, pair.key) && pair.key.comment === undefined) {
        const newline = comment.indexOf("\n");
        pair.key.comment = newline < 0 ? comment : comment.slice(0, newline);
        comment = newline < 0 ? undefined : comment.slice(newline + 1);
      }
      value.commentBefore = undefined;
      if (comment === undefined || comment === "") return;
      const first = value.items[0];
      const target = isPair(first) ? first.key : first;
      if (isNode(target)) {
        target.commentBefore = target.commentBefore ? `${comment}\n${target.commentBefore}` : comment;
      } else {
        value.commentBefore = comment;
      }
    },
  });
}

function keyLineHasComment(text: string, key: Scalar): boolean {
  const end = key.range?.[1];
  if (end === undefined) return false;
  const lineEnd = text.indexOf("\n", end);
  return /^[ \t]*:[ \t]*#/.test(text.slice(end, lineEnd < 0 ? undefined : lineEnd));
}

function hasBlankLineBeforeTrailingComment(doc: YamlDoc, text: string): boolean {
  if (!doc.comment) return false;
  const lines = text.replace(/\n+$/, "").split("\n");
  const commentLines = doc.comment.split("\n").length;
  return (lines[lines.length - commentLines - 1] ?? "").trim() === "";
}

/** Document-level comments of a base survive when the template has none of its own. */
export function inheritDocumentComments(target: YamlDoc, source: YamlDoc): void {
  if (!target.commentBefore && source.commentBefore) target.commentBefore = source.commentBefore;
  if (!target.comment && source.comment) {
    target.comment = source.comment;
    trailingCommentSpaced.set(target, trailingCommentSpaced.get(source) ?? true);
  }
}

const LINE_COMMENT = "\u0000";

/** Go-yaml/yamlfmt style output; always ends with exactly one newline. */
export function stringifyYaml(doc: YamlDoc): string {
  const copy = doc.clone();
  const trailing = copy.comment;
  copy.comment = null;
  markLineComments(copy);
  let text = copy.toString({
    indent: 2,
    indentSeq: false,
    lineWidth: 0,
    flowCollectionPadding: false,
    commentString: (comment) =>
      comment.startsWith(LINE_COMMENT) ? ` #${comment.slice(1)}` : comment.replace(/^(?!$)(?: $)?/gm, "#"),
  });
  if (isEmptyContents(copy) && !copy.commentBefore) text = "";
  text = text.replace(/\n+$/, "");
  if (trailing) {
    const spacer = text === "" ? "" : trailingCommentSpaced.get(doc) === false ? "\n" : "\n\n";
    text += spacer + trailing.replace(/^(?!$)(?: $)?/gm, "#");
  }
  return `${text}\n`;
}

function isEmptyContents(doc: YamlDoc): boolean {
  const c = doc.contents;
  return c === null || (isScalar(c) && c.value === null && !c.comment && !c.commentBefore);
}

/** Marks comments printed after a value on the same line, so they get two spaces of padding. */
function markLineComments(doc: YamlDoc): void {
  const mark = (node: Node | null | undefined) => {
    if (!node || !node.comment || node.comment.includes("\n")) return;
    if (isScalar(node) || (isCollection(node) && node.flow)) node.comment = LINE_COMMENT + node.comment;
  };
  visit(doc, {
    Scalar(_, node) {
      mark(node);
    },
    Map(_, node) {
      mark(node);
    },
    Seq(_, node) {
      mark(node);
    },
  });
}

/** Pair lookup by plain key text. */
export function findPair(map: YAMLMap, key: string): Pair<unknown, unknown> | undefined {
  return map.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === key) as
    | Pair<unknown, unknown>
    | undefined;
}

export function getNode(map: unknown, key: string): unknown {
  if (!isMap(map)) return undefined;
  return findPair(map, key)?.value;
}

export function rootMap(doc: YamlDoc): YAMLMap {
  if (isMap(doc.contents)) return doc.contents;
  if (isEmptyContents(doc)) {
    const map = doc.createNode({}) as YAMLMap;
    const before = doc.contents?.commentBefore;
    if (before) doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n${before}` : before;
    doc.contents = map;
    return map;
  }
  throw new LimaError("template must be a YAML map");
}

/** Text of a scalar, or undefined for anything else (including null). */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}
