// Lima's template functions (lima: pkg/textutil TemplateFuncMap): json, yaml, indent, missing.

import YAML from "yaml";
import type { FuncMap } from "./builtins.js";
import { formatValue, kindOf } from "./values.js";

export interface GoJSONOptions {
  /** Go's Encoder.SetEscapeHTML: `<`, `>`, `&` as \u003c, \u003e, \u0026 (json.Marshal's default). */
  escapeHTML?: boolean;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function unicodeEscape(ch: string): string {
  return `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
}

/** A JSON string as Go's encoding/json writes it. */
export function goJSONString(s: string, options: GoJSONOptions = {}): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code === 0x2028 || code === 0x2029) out += unicodeEscape(ch);
    else if (options.escapeHTML && (ch === "<" || ch === ">" || ch === "&")) out += unicodeEscape(ch);
    else if (code >= 0xd800 && code <= 0xdfff) out += "\\ufffd"; // lone surrogate: Go writes U+FFFD for invalid UTF-8
    else out += ch;
  }
  return `${out}"`;
}

/** Go json.Marshal of plain data: compact, object keys in insertion order (struct fields), Map keys sorted. */
export function goJSONMarshal(value: unknown, options: GoJSONOptions = {}): string {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return goJSONMarshal((value as { toJSON: () => unknown }).toJSON(), options);
  }
  switch (kindOf(value)) {
    case "invalid":
    case "nil":
      return "null";
    case "bool":
      return String(value);
    case "int":
    case "float": {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`json: unsupported value: ${formatValue(n)}`);
      return JSON.stringify(n);
    }
    case "string":
      return goJSONString(value as string, options);
    case "slice":
      return `[${(value as unknown[]).map((item) => goJSONMarshal(item, options)).join(",")}]`;
    case "map":
      return marshalObject(value as object, options);
    case "func":
      throw new Error("json: unsupported type: func()");
  }
}

function marshalObject(value: object, options: GoJSONOptions): string {
  const entries =
    value instanceof Map
      ? [...value.entries()].map(([k, v]) => [String(k), v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      : Object.entries(value);
  const members = entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${goJSONString(k, options)}:${goJSONMarshal(v, options)}`);
  return `{${members.join(",")}}`;
}

/** Prefixes every non-empty line (lima: textutil.PrefixString). */
export function prefixString(prefix: string, text: string): string {
  return text
    .split("\n")
    .map((line) => (line === "" ? line : prefix + line))
    .join("\n");
}

export function indentString(size: number, text: string): string {
  return prefixString(" ".repeat(size), text);
}

/** `indent`/`missing` take an optional first argument before the text: returns [first, text]. */
function optionalThenText(args: unknown[]): [unknown, unknown] {
  if (args.length === 0) throw new Error("function takes at least one string argument");
  if (args.length > 2) throw new Error("function takes at most 2 arguments");
  return args.length === 2 ? [args[0], args[1]] : [undefined, args[0]];
}

function requireText(text: unknown): string {
  if (typeof text !== "string") throw new Error("last argument must be a string");
  return text;
}

export const limaFuncs: FuncMap = {
  // Lima's encoder disables HTML escaping (json.Encoder.SetEscapeHTML(false)).
  json: (value) => {
    try {
      return goJSONMarshal(value);
    } catch (err) {
      throw new Error(`failed to marshal as JSON: ${formatValue(value)}: ${(err as Error).message}`);
    }
  },
  yaml: (value) => {
    const text = YAML.stringify(value ?? null, { indent: 2, indentSeq: false, lineWidth: 0 });
    return `---\n${text.replace(/\n$/, "")}`;
  },
  indent: (...args) => {
    const [size = 2, text] = optionalThenText(args);
    if (kindOf(size) !== "int") throw new Error("optional first argument must be an integer");
    return indentString(Number(size), requireText(text));
  },
  missing: (...args) => {
    const [message = "<missing>", text] = optionalThenText(args);
    if (typeof message !== "string") throw new Error("optional first argument must be a string");
    const checked = requireText(text);
    return checked === "" ? message : checked;
  },
};
