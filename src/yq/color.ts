// Colours YAML/JSON text the way yq does (yq's colorizer over goccy/go-yaml tokens):
// map keys cyan, strings green, numbers and booleans bright magenta, comments bright black,
// anchors and aliases bright yellow; punctuation and null stay plain. Like goccy's printer,
// a token's colour also wraps the whitespace written before it, and a token that starts on
// a new line leaves an empty coloured pair at the end of the previous line.

const ESC = "\x1b[";
const RESET = `${ESC}0m`;

export const COLORS = {
  key: `${ESC}36m`,
  string: `${ESC}32m`,
  number: `${ESC}95m`,
  bool: `${ESC}95m`,
  comment: `${ESC}90m`,
  anchor: `${ESC}93m`,
} as const;

type Kind = "key" | "string" | "number" | "bool" | "null" | "comment" | "anchor" | "alias" | "tag" | "punct";

interface Token {
  kind: Kind;
  /** The token's text with the whitespace before it (goccy's `Origin`). */
  origin: string;
}

const BOOL = /^(?:true|false|True|False|TRUE|FALSE)$/;
const NULL = /^(?:null|Null|NULL|~)$/;
const NUMBER = /^(?:[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function scalarKind(text: string): Kind {
  if (BOOL.test(text)) return "bool";
  if (NULL.test(text)) return "null";
  if (NUMBER.test(text)) return "number";
  return "string";
}

/** Splits printed YAML (or JSON) into tokens; whitespace joins the next token's origin. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pending = "";
  let flowDepth = 0;
  let i = 0;
  const push = (kind: Kind, value: string): void => {
    tokens.push({ kind, origin: pending + value });
    pending = "";
  };
  const atLineStart = (): boolean => {
    const lineStart = text.lastIndexOf("\n", i - 1) + 1;
    return /^[\s-]*$/.test(text.slice(lineStart, i));
  };
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      pending += ch;
      i++;
      continue;
    }
    if (ch === "#" && (i === 0 || /\s/.test(text[i - 1] ?? ""))) {
      const end = lineEnd(text, i);
      push("comment", text.slice(i, end));
      i = end;
      continue;
    }
    if (ch === "-" && atLineStart() && text.startsWith("---", i) && /^(?:\s|$)/.test(text.slice(i + 3, i + 4))) {
      push("punct", "---");
      i += 3;
      continue;
    }
    if ((ch === "-" || ch === "?") && /^(?:\s|$)/.test(text.slice(i + 1, i + 2))) {
      push("punct", ch);
      i++;
      continue;
    }
    if (ch === ":" && (/^(?:\s|$)/.test(text.slice(i + 1, i + 2)) || flowDepth > 0)) {
      push("punct", ":");
      i++;
      continue;
    }
    if ("{[".includes(ch)) flowDepth++;
    if ("}]".includes(ch)) flowDepth = Math.max(0, flowDepth - 1);
    if ("{}[],".includes(ch)) {
      push("punct", ch);
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = quotedEnd(text, i);
      push("string", text.slice(i, end));
      i = end;
      continue;
    }
    if (ch === "&" || ch === "*" || ch === "!") {
      let end = i + 1;
      while (end < text.length && !/[\s,{}[\]]/.test(text[end] ?? "")) end++;
      push(ch === "&" ? "anchor" : ch === "*" ? "alias" : "tag", text.slice(i, end));
      i = end;
      continue;
    }
    if ((ch === "|" || ch === ">") && flowDepth === 0) {
      const headerEnd = lineEnd(text, i);
      push("punct", text.slice(i, headerEnd).trimEnd());
      i = blockScalar(text, headerEnd, push, (s) => (pending += s));
      continue;
    }
    const end = plainEnd(text, i, flowDepth > 0);
    const value = text.slice(i, end);
    push(scalarKind(value), value);
    i = end;
  }
  return tokens;
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.length : nl;
}

function quotedEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (quote === '"' && ch === "\\") i += 2;
    else if (quote === "'" && ch === "'" && text[i + 1] === "'") i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  return text.length;
}

/** A plain scalar ends at `: `, ` #`, the line end, or (in flow) a flow indicator. */
function plainEnd(text: string, start: number, inFlow: boolean): number {
  let i = start;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === "\n" || ch === "\r") break;
    if (ch === ":" && (/^(?:\s|$)/.test(text.slice(i + 1, i + 2)) || inFlow)) break;
    if (ch === "#" && /\s/.test(text[i - 1] ?? "")) break;
    if (inFlow && ",[]{}".includes(ch)) break;
    i++;
  }
  while (i > start && /\s/.test(text[i - 1] ?? "")) i--;
  return i;
}

/** The indented lines of a `|`/`>` scalar form one string token. */
function blockScalar(text: string, from: number, push: (kind: Kind, value: string) => void, addSpace: (s: string) => void): number {
  const headerLineStart = text.lastIndexOf("\n", from - 1) + 1;
  const parentIndent = /^ */.exec(text.slice(headerLineStart))?.[0].length ?? 0;
  let i = from;
  let body = "";
  while (i < text.length) {
    const end = lineEnd(text, i + 1);
    const line = text.slice(i + 1, end);
    const indent = /^ */.exec(line)?.[0].length ?? 0;
    if (line.trim() !== "" && indent <= parentIndent) break;
    body += text.slice(i, end);
    i = end;
  }
  const lead = /^\n */.exec(body)?.[0] ?? "";
  addSpace(lead);
  if (body.length > lead.length) push("string", body.slice(lead.length));
  return i;
}

function colorOf(tokens: Token[], index: number): string | undefined {
  const token = tokens[index];
  if (!token) return undefined;
  const previous = tokens[index - 1];
  if (previous?.kind === "anchor" || previous?.kind === "alias") return COLORS.anchor;
  if (tokens[index + 1]?.origin.trimStart() === ":" && token.kind !== "punct") return COLORS.key;
  switch (token.kind) {
    case "string":
      return COLORS.string;
    case "number":
      return COLORS.number;
    case "bool":
      return COLORS.bool;
    case "comment":
      return COLORS.comment;
    case "anchor":
    case "alias":
      return COLORS.anchor;
    default:
      return undefined;
  }
}

/** yq's colorizeAndPrint: the text with ANSI colours, ending in one newline. */
export function colorize(text: string): string {
  const tokens = tokenize(text);
  const lines: string[] = [];
  tokens.forEach((token, index) => {
    const color = colorOf(tokens, index);
    token.origin.split("\n").forEach((part, i) => {
      const piece = color === undefined ? part : `${color}${part}${RESET}`;
      if (i === 0 && lines.length > 0) lines[lines.length - 1] += piece;
      else lines.push(piece);
    });
  });
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
