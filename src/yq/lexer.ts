// Tokenizer for the yq v4 expression language (the subset lima-ts supports).

export type TokenKind =
  | "path" // `.foo`, `."foo"`: a single key traversal (value = key)
  | "dot" // `.` identity, also `.` before `[`
  | "recurse" // `..`
  | "number"
  | "string"
  | "ident" // keywords and function names
  | "env" // `env(NAME)` / `strenv(NAME)`: value = NAME, op = function name
  | "var" // `$name`
  | "op" // punctuation and operators
  | "eof";

export interface Token {
  kind: TokenKind;
  value: string;
  /** The function name for `env` tokens. */
  fn?: string;
  /** 0-based offset into the expression. */
  pos: number;
}

export class YqSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "YqSyntaxError";
  }
}

// Longest operators first so that `|=` wins over `|`.
const OPERATORS = [
  "//=", "|=", "+=", "-=", "*=", "==", "!=", "<=", ">=", "//",
  "|", ",", ";", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ":", "?",
];

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_]/;
// A bare key after `.`: yq allows dashes inside (`.foo-bar`).
const PATH_CHAR = /[A-Za-z0-9_\-]/;

/** Words the language knows; anything else is a lexing error, as in yq. */
const KNOWN_WORDS = new Set([
  "and", "or", "not", "true", "false", "null", "select", "del", "has", "keys", "length", "unique",
  "unique_by", "sort", "sort_by", "map", "map_values", "to_entries", "from_entries", "with_entries",
  "test", "contains", "split", "join", "tostring", "to_string", "tonumber", "to_number", "type", "first",
  "last", "reverse", "flatten", "add", "any", "all", "min", "max", "group_by", "key", "parent",
  "envsubst", "load", "load_str", "load_xml", "load_props", "load_base64", "system", "empty", "error",
  "ascii_downcase", "ascii_upcase", "downcase", "upcase", "trim", "ltrimstr", "rtrimstr", "startswith",
  "endswith", "sub", "to_json", "tojson", "from_json", "from_yaml", "to_yaml", "collect", "pick",
  "document_index", "di", "line_comment", "head_comment", "abs",
  "as", "ref", "reduce", "ireduce", "with", "tag", "style", "kind", "explode", "sort_keys", "path", "line", "column",
  "split_doc", "eval", "omit", "filter", "foot_comment", "anchor", "match", "capture",
  "any_c", "all_c", "is_key", "file_index", "fi", "array_to_map", "root", "comments", "to_props", "from_props",
  "to_csv", "to_tsv", "from_csv", "from_tsv",
]);

/** yq's alternative spellings of operator names. */
const WORD_ALIASES: Record<string, string> = {
  toEntries: "to_entries", fromEntries: "from_entries", withEntries: "with_entries", sortKeys: "sort_keys",
  splitDoc: "split_doc", lineComment: "line_comment", headComment: "head_comment", footComment: "foot_comment",
  documentIndex: "document_index", fileIndex: "file_index", fileName: "filename", headcomment: "head_comment",
  linecomment: "line_comment", footcomment: "foot_comment", sortby: "sort_by", groupby: "group_by", uniqueby: "unique_by",
  mapvalues: "map_values", toentries: "to_entries", fromentries: "from_entries", withentries: "with_entries",
  tonumber: "to_number", iskey: "is_key", arraytomap: "array_to_map",
  splitdoc: "split_doc", sortkeys: "sort_keys", type: "tag", fromjson: "from_json", tojson: "to_json",
  fromyaml: "from_yaml", toyaml: "to_yaml", toprops: "to_props", fromprops: "from_props", tostring: "to_string",
  "@yaml": "to_yaml", "@yamld": "from_yaml", "@jsond": "from_json", "@props": "to_props",
  "@propsd": "from_props", "@csv": "to_csv", "@tsv": "to_tsv", "@csvd": "from_csv", "@tsvd": "from_tsv",
};

const FORMAT_WORDS = new Set(["@base64", "@base64d", "@uri", "@urid", "@sh", "@json"]);

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (at: number): never => {
    const rest = expression.slice(at);
    throw new YqSyntaxError(`1:${at + 1}: invalid input text ${JSON.stringify(rest.length > 10 ? `${rest.slice(0, 10)}...` : rest)}`);
  };
  while (i < expression.length) {
    const ch = expression[i] ?? "";
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === "#") {
      // A comment runs to the end of the line.
      while (i < expression.length && expression[i] !== "\n") i++;
      continue;
    }
    if (ch === "$" && IDENT_START.test(expression[i + 1] ?? "")) {
      let j = i + 1;
      while (j < expression.length && /[A-Za-z0-9_-]/.test(expression[j] ?? "")) j++;
      tokens.push({ kind: "var", value: expression.slice(i + 1, j), pos: i });
      i = j;
      continue;
    }
    if (ch === "@") {
      const word = /^@[a-z0-9]+/.exec(expression.slice(i))?.[0] ?? "";
      const name = WORD_ALIASES[word] ?? word;
      if (!FORMAT_WORDS.has(name) && !KNOWN_WORDS.has(name)) fail(i);
      tokens.push({ kind: "ident", value: name, pos: i });
      i += word.length;
      continue;
    }
    if (ch === ".") {
      const next = expression[i + 1] ?? "";
      if (expression.startsWith("...", i)) {
        tokens.push({ kind: "recurse", value: "...", pos: i });
        i += 3;
        continue;
      }
      if (next === ".") {
        tokens.push({ kind: "recurse", value: "..", pos: i });
        i += 2;
        continue;
      }
      if (next === '"') {
        const { value, end } = readString(expression, i + 1, fail);
        tokens.push({ kind: "path", value, pos: i });
        i = end;
        continue;
      }
      if (PATH_CHAR.test(next) && next !== "-") {
        let j = i + 1;
        while (j < expression.length && PATH_CHAR.test(expression[j] ?? "")) j++;
        tokens.push({ kind: "path", value: expression.slice(i + 1, j), pos: i });
        i = j;
        continue;
      }
      tokens.push({ kind: "dot", value: ".", pos: i });
      i++;
      continue;
    }
    if (ch === '"') {
      const { value, end } = readString(expression, i, fail);
      tokens.push({ kind: "string", value, pos: i });
      i = end;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "-" && /[0-9]/.test(expression[i + 1] ?? "") && expectsOperand(tokens))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(expression.slice(i));
      const text = m?.[0] ?? fail(i);
      tokens.push({ kind: "number", value: text, pos: i });
      i += text.length;
      continue;
    }
    if (IDENT_START.test(ch)) {
      let j = i;
      while (j < expression.length && IDENT_CHAR.test(expression[j] ?? "")) j++;
      const word = expression.slice(i, j);
      if ((word === "env" || word === "strenv") && expression[j] === "(") {
        const close = expression.indexOf(")", j);
        const name = close < 0 ? "" : expression.slice(j + 1, close).trim();
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          tokens.push({ kind: "env", value: name, fn: word, pos: i });
          i = close + 1;
          continue;
        }
      }
      const name = WORD_ALIASES[word] ?? word;
      if (!KNOWN_WORDS.has(name)) fail(i);
      tokens.push({ kind: "ident", value: name, pos: i });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (op === undefined) fail(i);
    tokens.push({ kind: "op", value: op ?? "", pos: i });
    i += (op ?? "").length;
  }
  tokens.push({ kind: "eof", value: "", pos: expression.length });
  return tokens;
}

/** A `-` starts a negative number only where an operand is expected. */
function expectsOperand(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  if (last === undefined) return true;
  return last.kind === "op" && last.value !== ")" && last.value !== "]" && last.value !== "}";
}

function readString(text: string, start: number, fail: (at: number) => never): { value: string; end: number } {
  let out = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (ch === '"') return { value: out, end: i + 1 };
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const esc = text[i + 1] ?? "";
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f" };
    if (esc in simple) {
      out += simple[esc];
      i += 2;
      continue;
    }
    if (esc === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 6;
      continue;
    }
    // yq keeps unknown escapes verbatim.
    out += ch + esc;
    i += 2;
  }
  return fail(start);
}
