// Inlining provision/probe `file:` references as `script`/`content`/`expression` text.
import { isMap, isScalar, isSeq, Scalar } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { logger } from "../log/logger.js";
import { q } from "../util/goquote.js";
import { locatorScalar } from "./abs.js";
import { isTemplateURL, readLocator } from "./locator.js";
import { findPair, getNode, rootMap, scalarText, type YamlDoc } from "./yamldoc.js";

/** yamlfmt cannot keep line breaks in lines near 64 KiB, so such text is base64 encoded. */
export const MAX_LINE_LENGTH = 65000;
const BASE64_LINE = 76;

/** Why `text` must be stored base64 encoded, or "" when it can stay text. */
export function encodeScriptReason(text: string, maxLineLength = MAX_LINE_LENGTH): string {
  let lineStart = 0;
  let line = 1;
  let offset = 0;
  for (const ch of text) {
    if (ch !== "\n" && !isPrintable(ch)) return `unprintable character ${goRuneQuote(ch)} at offset ${offset}`;
    if (offset - lineStart >= maxLineLength) {
      return `line ${line} (offset ${lineStart}) is longer than ${maxLineLength} characters`;
    }
    offset += Buffer.byteLength(ch);
    if (ch === "\n") {
      line++;
      lineStart = offset;
    }
  }
  return "";
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrintable(ch: string): boolean {
  return ch === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function goRuneQuote(ch: string): string {
  const escapes: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\t": "\\t", "\v": "\\v" };
  const code = ch.codePointAt(0) ?? 0;
  return `'${escapes[ch] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`)}'`;
}

/** Base64 in lines of 76 characters (newline-terminated when more than one line). */
export function binaryString(text: string): string {
  const encoded = Buffer.from(text, "utf8").toString("base64");
  if (encoded.length <= BASE64_LINE) return encoded;
  let out = "";
  for (let i = 0; i < encoded.length; i += BASE64_LINE) out += `${encoded.slice(i, i + BASE64_LINE)}\n`;
  return out;
}

function scriptScalar(text: string, file: string): Scalar {
  const reason = encodeScriptReason(text);
  if (reason !== "") {
    logger.info(`File ${q(file)} is being base64 encoded: ${reason}`);
    const binary = new Scalar(binaryString(text));
    binary.tag = "tag:yaml.org,2002:binary";
    if (binary.value.includes("\n")) binary.type = Scalar.BLOCK_LITERAL;
    return binary;
  }
  const scalar = new Scalar(text);
  if (text.includes("\n")) scalar.type = Scalar.BLOCK_LITERAL;
  return scalar;
}

/** The `file` key becomes `targetKey` in place, keeping position and comments. */
function replaceFileField(pair: Pair<unknown, unknown>, targetKey: string, value: Scalar): void {
  const oldKey = pair.key as Node;
  const oldValue = pair.value as Node;
  const key = new Scalar(targetKey);
  key.commentBefore = oldKey.commentBefore;
  key.spaceBefore = oldKey.spaceBefore;
  value.comment = isScalar(oldValue) ? oldValue.comment : oldKey.comment;
  pair.key = key;
  pair.value = value;
}

function provisionTarget(entry: YAMLMap): string | undefined {
  const mode = scalarText(getNode(entry, "mode"));
  if (mode === "data") return scalarText(getNode(entry, "content")) === undefined ? "content" : undefined;
  if (mode === "yq") return scalarText(getNode(entry, "expression")) === undefined ? "expression" : undefined;
  return (scalarText(getNode(entry, "script")) ?? "") === "" ? "script" : undefined;
}

function probeTarget(entry: YAMLMap): string | undefined {
  return (scalarText(getNode(entry, "script")) ?? "") === "" ? "script" : undefined;
}

export async function embedAllScripts(doc: YamlDoc, embedAll: boolean): Promise<void> {
  const lists: Array<[string, (entry: YAMLMap) => string | undefined]> = [
    ["probes", probeTarget],
    ["provision", provisionTarget],
  ];
  for (const [list, targetOf] of lists) {
    const seq = getNode(rootMap(doc), list);
    if (!isSeq(seq)) continue;
    for (const entry of seq.items) {
      if (!isMap(entry)) continue;
      const filePair = findPair(entry, "file");
      const locator = locatorScalar(filePair?.value)?.value as string | undefined;
      const target = targetOf(entry);
      if (!filePair || locator === undefined || target === undefined) continue;
      if (!embedAll && isTemplateURL(locator)) continue;
      const script = await readLocator(locator, { inferName: false });
      // An existing empty `script:` is replaced by the inlined one.
      const stale = findPair(entry, target);
      if (stale) entry.items.splice(entry.items.indexOf(stale), 1);
      replaceFileField(filePair, target, scriptScalar(Buffer.from(script.bytes).toString("utf8"), locator));
    }
  }
}
