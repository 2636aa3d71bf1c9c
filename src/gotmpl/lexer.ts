// Tokenizer for Go text/template source. Token kinds, trim-marker handling and the
// lexer's error texts follow Go's text/template/parse so error messages match.

export type TokenType =
  | "text"
  | "leftDelim"
  | "rightDelim"
  | "comment"
  | "space"
  | "identifier"
  | "keyword"
  | "bool"
  | "nil"
  | "field"
  | "variable"
  | "dot"
  | "number"
  | "charConstant"
  | "string"
  | "rawString"
  | "pipe"
  | "assign"
  | "declare"
  | "char"
  | "leftParen"
  | "rightParen"
  | "eof"
  | "error";

export interface Token {
  type: TokenType;
  /** Token text; the message for "error" tokens. */
  val: string;
  /** Byte offset (UTF-16 index) into the template text. */
  pos: number;
  line: number;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  "block",
  "break",
  "continue",
  "define",
  "else",
  "end",
  "if",
  "range",
  "template",
  "with",
]);

const LEFT_DELIM = "{{";
const RIGHT_DELIM = "}}";
const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isAlphaNumeric(ch: string | undefined): boolean {
  return ch !== undefined && ch !== "" && /^[\p{L}\p{Nd}_]$/u.test(ch);
}

/** Go's `%#U`: `U+003D '='`. */
function goCharDescription(ch: string): string {
  const code = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  return /\p{L}|\p{N}|\p{P}|\p{S}|\p{Zs}/u.test(ch) ? `U+${code} '${ch}'` : `U+${code}`;
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === "-" && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === "-";
}

function trailingSpaceLength(s: string): number {
  let n = 0;
  while (n < s.length && isSpace(s[s.length - 1 - n])) n++;
  return n;
}

function leadingSpaceLength(s: string, from: number): number {
  let n = 0;
  while (isSpace(s[from + n])) n++;
  return n;
}

class LexError extends Error {}

/** Splits template text into tokens; stops after the first "error" token. */
export function lex(input: string): Token[] {
  return new Lexer(input).run();
}

class Lexer {
  private pos = 0;
  private start = 0;
  private line = 1;
  private startLine = 1;
  private parenDepth = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly input: string) {}

  run(): Token[] {
    try {
      while (this.pos < this.input.length) this.lexText();
      this.emit("eof");
    } catch (err) {
      if (!(err instanceof LexError)) throw err;
      this.tokens.push({ type: "error", val: err.message, pos: this.start, line: this.startLine });
    }
    return this.tokens;
  }

  private emit(type: TokenType): void {
    const val = this.input.slice(this.start, this.pos);
    this.tokens.push({ type, val, pos: this.start, line: this.startLine });
    this.skip();
  }

  /** Drops the pending input (start catches up with pos), counting newlines. */
  private skip(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  private fail(message: string): never {
    throw new LexError(message);
  }

  private peek(): string | undefined {
    return this.input[this.pos];
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: this.input.startsWith(RIGHT_DELIM, this.pos), trim: false };
  }

  private lexText(): void {
    const x = this.input.indexOf(LEFT_DELIM, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      this.emit("text");
      return;
    }
    if (x > this.pos) {
      const trim = hasLeftTrimMarker(this.input, x + LEFT_DELIM.length)
        ? trailingSpaceLength(this.input.slice(this.start, x))
        : 0;
      this.pos = x - trim;
      if (this.pos > this.start) this.emit("text");
      this.pos = x;
      this.skip();
    }
    this.lexLeftDelim();
  }

  private lexLeftDelim(): void {
    this.pos += LEFT_DELIM.length;
    const trim = hasLeftTrimMarker(this.input, this.pos);
    const afterMarker = trim ? 2 : 0;
    if (this.input.startsWith(LEFT_COMMENT, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.skip();
      this.lexComment();
      return;
    }
    this.emit("leftDelim");
    this.pos += afterMarker;
    this.skip();
    this.parenDepth = 0;
    this.lexInsideAction();
  }

  private lexComment(): void {
    this.pos += LEFT_COMMENT.length;
    const x = this.input.indexOf(RIGHT_COMMENT, this.pos);
    if (x < 0) this.fail("unclosed comment");
    this.pos = x + RIGHT_COMMENT.length;
    const { delim, trim } = this.atRightDelim();
    if (!delim) this.fail("comment ends before closing delimiter");
    this.emit("comment");
    this.pos += (trim ? 2 : 0) + RIGHT_DELIM.length;
    if (trim) this.pos += leadingSpaceLength(this.input, this.pos);
    this.skip();
  }

  private lexRightDelim(trim: boolean): void {
    if (trim) {
      this.pos += 2;
      this.skip();
    }
    this.pos += RIGHT_DELIM.length;
    this.emit("rightDelim");
    if (trim) {
      this.pos += leadingSpaceLength(this.input, this.pos);
      this.skip();
    }
  }

  private lexInsideAction(): void {
    for (;;) {
      const { delim, trim } = this.atRightDelim();
      if (delim) {
        if (this.parenDepth !== 0) this.fail("unclosed left paren");
        this.lexRightDelim(trim);
        return;
      }
      this.lexActionToken();
    }
  }

  private lexActionToken(): void {
    const ch = this.peek();
    if (ch === undefined) this.fail("unclosed action");
    if (isSpace(ch)) return this.lexSpace();
    this.pos++;
    switch (ch) {
      case "=":
        return this.emit("assign");
      case ":":
        if (this.input[this.pos] !== "=") this.fail("expected :=");
        this.pos++;
        return this.emit("declare");
      case "|":
        return this.emit("pipe");
      case '"':
        return this.lexQuote();
      case "`":
        return this.lexRawQuote();
      case "$":
        return this.lexFieldOrVariable("variable");
      case "'":
        return this.lexChar();
      case "(":
        this.parenDepth++;
        return this.emit("leftParen");
      case ")":
        this.emit("rightParen");
        this.parenDepth--;
        if (this.parenDepth < 0) this.fail("unexpected right paren");
        return;
    }
    if (ch === "." && !/[0-9]/.test(this.input[this.pos] ?? "")) return this.lexFieldOrVariable("field");
    if (ch === "." || ch === "+" || ch === "-" || /[0-9]/.test(ch)) {
      this.pos--;
      return this.lexNumber();
    }
    if (isAlphaNumeric(ch)) {
      this.pos--;
      return this.lexIdentifier();
    }
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code < 0x7f) return this.emit("char");
    this.fail(`unrecognized character in action: ${goCharDescription(ch)}`);
  }

  /** A run of spaces, leaving a single space in front of ` -}}` for the delimiter. */
  private lexSpace(): void {
    let count = 0;
    while (isSpace(this.peek())) {
      this.pos++;
      count++;
    }
    if (hasRightTrimMarker(this.input, this.pos - 1) && this.input.startsWith(RIGHT_DELIM, this.pos + 1)) {
      this.pos--;
      if (count === 1) return;
    }
    this.emit("space");
  }

  private atTerminator(): boolean {
    const ch = this.peek();
    if (ch === undefined || isSpace(ch)) return true;
    if (".,|:()".includes(ch)) return true;
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  private lexFieldOrVariable(type: "field" | "variable"): void {
    if (this.atTerminator()) return this.emit(type === "variable" ? "variable" : "dot");
    while (isAlphaNumeric(this.peekRune())) this.pos += this.peekRune().length;
    if (!this.atTerminator()) this.fail(`bad character ${goCharDescription(this.peekRune())}`);
    this.emit(type);
  }

  private peekRune(): string {
    return String.fromCodePoint(this.input.codePointAt(this.pos) ?? 0);
  }

  private lexIdentifier(): void {
    while (isAlphaNumeric(this.peekRune())) this.pos += this.peekRune().length;
    if (!this.atTerminator()) this.fail(`bad character ${goCharDescription(this.peekRune())}`);
    const word = this.input.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) return this.emit("keyword");
    if (word === "nil") return this.emit("nil");
    if (word === "true" || word === "false") return this.emit("bool");
    this.emit("identifier");
  }

  private lexQuote(): void {
    for (;;) {
      const ch = this.input[this.pos++];
      if (ch === "\\") {
        const next = this.input[this.pos];
        if (next !== undefined && next !== "\n") {
          this.pos++;
          continue;
        }
      }
      if (ch === undefined || ch === "\n" || ch === "\\") this.fail("unterminated quoted string");
      if (ch === '"') return this.emit("string");
    }
  }

  private lexRawQuote(): void {
    const end = this.input.indexOf("`", this.pos);
    if (end < 0) this.fail("unterminated raw quoted string");
    this.pos = end + 1;
    this.emit("rawString");
  }

  private lexChar(): void {
    for (;;) {
      const ch = this.input[this.pos++];
      if (ch === "\\" && this.input[this.pos] !== undefined && this.input[this.pos] !== "\n") {
        this.pos++;
        continue;
      }
      if (ch === undefined || ch === "\n") this.fail("unterminated character constant");
      if (ch === "'") return this.emit("charConstant");
    }
  }

  private lexNumber(): void {
    const match = /^[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?)/.exec(
      this.input.slice(this.pos),
    );
    const length = match?.[0].length ?? 0;
    this.pos += length;
    if (length === 0 || isAlphaNumeric(this.peek())) {
      while (isAlphaNumeric(this.peek()) || this.peek() === ".") this.pos++;
      this.fail(`bad number syntax: "${this.input.slice(this.start, this.pos)}"`);
    }
    this.emit("number");
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === "\n") n++;
  return n;
}
