// Go literal syntax inside actions: strconv.Unquote for strings and character constants,
// strconv.ParseInt/ParseFloat (base prefixes, underscores) for numbers.

export class LiteralSyntaxError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};

/** Decodes the escape starting after the backslash at `body[i]`; returns the text and the next index. */
function decodeEscape(body: string, i: number, quote: string): [string, number] {
  const ch = body[i];
  if (ch === undefined) throw new LiteralSyntaxError("invalid syntax");
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return [simple, i + 1];
  if (ch === quote) return [ch, i + 1];
  const hexLengths: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };
  const hexLength = hexLengths[ch];
  if (hexLength !== undefined) {
    const hex = body.slice(i + 1, i + 1 + hexLength);
    if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new LiteralSyntaxError("invalid syntax");
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) throw new LiteralSyntaxError("invalid syntax");
    return [String.fromCodePoint(code), i + 1 + hexLength];
  }
  const octal = body.slice(i, i + 3);
  if (/^[0-7]{3}$/.test(octal) && Number.parseInt(octal, 8) < 256) {
    return [String.fromCharCode(Number.parseInt(octal, 8)), i + 3];
  }
  throw new LiteralSyntaxError("invalid syntax");
}

function unescapeBody(body: string, quote: string): string {
  let out = "";
  for (let i = 0; i < body.length; ) {
    const ch = body[i] as string;
    if (ch === quote || ch === "\n") throw new LiteralSyntaxError("invalid syntax");
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const [text, next] = decodeEscape(body, i + 1, quote);
    out += text;
    i = next;
  }
  return out;
}

/** Go strconv.Unquote of a "double-quoted" or `raw` string literal. */
export function unquoteString(quoted: string): string {
  if (quoted.startsWith("`")) return quoted.slice(1, -1).replaceAll("\r", "");
  return unescapeBody(quoted.slice(1, -1), '"');
}

/** The code point of a Go character constant such as 'a' or '\n'. */
export function unquoteChar(quoted: string): number {
  const text = unescapeBody(quoted.slice(1, -1), "'");
  const chars = [...text];
  if (chars.length !== 1) throw new LiteralSyntaxError("invalid syntax");
  return chars[0]?.codePointAt(0) ?? 0;
}

const RADIX_SYNTAX: Readonly<Record<string, [number, RegExp]>> = {
  x: [16, /^[0-9a-fA-F]+$/],
  b: [2, /^[01]+$/],
  o: [8, /^[0-7]+$/],
};

/** Parses a Go numeric literal; undefined when it is not valid Go syntax. */
export function parseNumber(text: string): number | undefined {
  const sign = text.startsWith("-") ? -1 : 1;
  const unsigned = text.replace(/^[+-]/, "");
  if (/(^_|_$|__)/.test(unsigned)) return undefined;
  const digits = unsigned.replaceAll("_", "");
  const prefixed = /^0([xXbBoO])(.+)$/.exec(digits);
  if (prefixed) {
    const [radix, valid] = RADIX_SYNTAX[(prefixed[1] as string).toLowerCase()] ?? [10, /^$/];
    const body = prefixed[2] as string;
    return valid.test(body) ? sign * Number.parseInt(body, radix) : undefined;
  }
  if (/^0[0-7]+$/.test(digits)) return sign * Number.parseInt(digits, 8);
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(digits)) return undefined;
  return sign * Number(digits);
}
