// Recursive-descent parser producing the AST of a yq expression.
import { tokenize, YqSyntaxError, type Token } from "./lexer.js";

export type Literal = string | number | boolean | null;

export type Ast =
  | { type: "identity" }
  | { type: "recurse"; withKeys: boolean }
  | { type: "key"; key: string }
  | { type: "index"; target: Ast; index: Ast }
  | { type: "slice"; target: Ast; from: Ast | undefined; to: Ast | undefined }
  | { type: "iterate"; target: Ast }
  | { type: "literal"; value: Literal; text?: string }
  | { type: "array"; body: Ast | undefined }
  | { type: "object"; entries: Array<{ key: Ast; value: Ast }> }
  | { type: "pipe"; left: Ast; right: Ast }
  | { type: "comma"; left: Ast; right: Ast }
  | { type: "binary"; op: BinaryOp; left: Ast; right: Ast }
  | { type: "assign"; op: AssignOp; left: Ast; right: Ast }
  | { type: "call"; name: string; args: Ast[] }
  | { type: "env"; fn: string; name: string }
  | { type: "optional"; body: Ast }
  | { type: "var"; name: string }
  /** `source as $name | body`; `ref` binds the matched node itself, so it can be assigned. */
  | { type: "bind"; source: Ast; name: string; ref: boolean; body: Ast }
  /** `source as $name ireduce (init; update)` and `reduce source as $name (init; update)`. */
  | { type: "reduce"; source: Ast; name: string; init: Ast; update: Ast }
  /** `target tag = value`, `target style |= value`, ... */
  | { type: "attrAssign"; attr: Attribute; relative: boolean; target: Ast; value: Ast };

/** Node attributes with their own assignment form (`.a style = "double"`). */
export type Attribute = "tag" | "style" | "line_comment" | "head_comment" | "foot_comment" | "comments" | "anchor" | "alias";
const ATTRIBUTES = new Set<string>(["tag", "style", "line_comment", "head_comment", "foot_comment", "comments", "anchor", "alias"]);

export type BinaryOp = "//" | "or" | "and" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";
export type AssignOp = "=" | "|=" | "+=" | "-=" | "*=" | "//=";

// Binary operator levels, loosest first. `|` and `,` are handled separately.
const LEVELS: ReadonlyArray<{ ops: readonly string[]; assoc: "left" | "right" | "none" }> = [
  { ops: ["=", "|=", "+=", "-=", "*=", "//="], assoc: "none" },
  { ops: ["//"], assoc: "right" },
  { ops: ["or"], assoc: "left" },
  { ops: ["and"], assoc: "left" },
  { ops: ["==", "!=", "<", "<=", ">", ">="], assoc: "none" },
  { ops: ["+", "-"], assoc: "left" },
  { ops: ["*", "/", "%"], assoc: "left" },
];

const ASSIGN_OPS = new Set<string>(LEVELS[0]?.ops ?? []);

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseProgram(): Ast {
    if (this.peek().kind === "eof") return { type: "identity" };
    const ast = this.parsePipe();
    if (this.peek().kind !== "eof") this.badExpression();
    return ast;
  }

  private peek(): Token {
    return this.tokens[this.pos] ?? { kind: "eof", value: "", pos: 0 };
  }

  private next(): Token {
    const token = this.peek();
    this.pos++;
    return token;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return (token.kind === "op" || token.kind === "ident") && token.value === value;
  }

  private expectOp(value: string): void {
    if (!this.isOp(value)) this.badExpression();
    this.pos++;
  }

  private badExpression(): never {
    throw new YqSyntaxError("bad expression, please check expression syntax");
  }

  parsePipe(): Ast {
    const left = this.parseComma();
    if (this.isWord("as") || this.isWord("ref")) return this.parseBinding(left);
    return this.continuePipe(left);
  }

  private continuePipe(left: Ast): Ast {
    if (!this.isOp("|")) return left;
    this.next();
    return { type: "pipe", left, right: this.parsePipe() };
  }

  private isWord(word: string): boolean {
    const token = this.peek();
    return token.kind === "ident" && token.value === word;
  }

  private expectVar(): string {
    const token = this.next();
    if (token.kind !== "var") this.badExpression();
    return token.value;
  }

  /** `(init; update)` of a reduction. */
  private parseReduceArgs(): [Ast, Ast] {
    this.expectOp("(");
    const init = this.parsePipe();
    this.expectOp(";");
    const update = this.parsePipe();
    this.expectOp(")");
    return [init, update];
  }

  /** `left as $x | body`, `left ref $x | body`, `left as $x ireduce (init; update)`. */
  private parseBinding(source: Ast): Ast {
    const ref = this.next().value === "ref";
    const name = this.expectVar();
    if (this.isWord("ireduce")) {
      this.next();
      const [init, update] = this.parseReduceArgs();
      return this.continuePipe({ type: "reduce", source, name, init, update });
    }
    if (!this.isOp("|")) return { type: "bind", source, name, ref, body: { type: "identity" } };
    this.next();
    return { type: "bind", source, name, ref, body: this.parsePipe() };
  }

  private parseComma(): Ast {
    let left = this.parseLevel(0);
    while (this.isOp(",")) {
      this.next();
      left = { type: "comma", left, right: this.parseLevel(0) };
    }
    return left;
  }

  private parseLevel(level: number): Ast {
    const spec = LEVELS[level];
    if (spec === undefined) return this.parsePostfix();
    let left = this.parseLevel(level + 1);
    while (spec.ops.some((op) => this.isOp(op))) {
      const op = this.next().value;
      const right = spec.assoc === "left" ? this.parseLevel(level + 1) : this.parseLevel(level);
      left = ASSIGN_OPS.has(op)
        ? { type: "assign", op: op as AssignOp, left, right }
        : { type: "binary", op: op as BinaryOp, left, right };
      if (spec.assoc !== "left") break;
    }
    return left;
  }

  private parsePostfix(): Ast {
    let ast = this.parsePrimary();
    for (;;) {
      const token = this.peek();
      if (token.kind === "path") {
        this.next();
        ast = { type: "pipe", left: ast, right: { type: "key", key: token.value } };
      } else if (token.kind === "dot" && this.tokens[this.pos + 1]?.value === "[") {
        this.next();
      } else if (this.isOp("[")) {
        ast = this.parseBracket(ast);
      } else if (this.isOp("?")) {
        this.next();
        ast = { type: "optional", body: ast };
      } else if (token.kind === "ident" && ATTRIBUTES.has(token.value) && ["=", "|="].includes(this.tokens[this.pos + 1]?.value ?? "")) {
        this.next();
        const relative = this.next().value === "|=";
        return { type: "attrAssign", attr: token.value as Attribute, relative, target: ast, value: this.parseLevel(0) };
      } else {
        return ast;
      }
    }
  }

  /** `[]`, `[expr]`, `[a:b]` after a target. */
  private parseBracket(target: Ast): Ast {
    this.expectOp("[");
    if (this.isOp("]")) {
      this.next();
      return { type: "iterate", target };
    }
    if (this.isOp(":")) {
      this.next();
      const to = this.parsePipe();
      this.expectOp("]");
      return { type: "slice", target, from: undefined, to };
    }
    const index = this.parsePipe();
    if (this.isOp(":")) {
      this.next();
      const to = this.isOp("]") ? undefined : this.parsePipe();
      this.expectOp("]");
      return { type: "slice", target, from: index, to };
    }
    this.expectOp("]");
    return { type: "index", target, index };
  }

  private parsePrimary(): Ast {
    const token = this.next();
    switch (token.kind) {
      case "path":
        return { type: "key", key: token.value };
      case "dot":
        return { type: "identity" };
      case "recurse":
        return { type: "recurse", withKeys: token.value === "..." };
      case "number":
        return { type: "literal", value: Number(token.value), text: token.value };
      case "string":
        return { type: "literal", value: token.value };
      case "env":
        return { type: "env", fn: token.fn ?? "env", name: token.value };
      case "var":
        return { type: "var", name: token.value };
      case "ident":
        return this.parseWord(token.value);
      case "op":
        return this.parseBracketed(token.value);
      default:
        return this.badExpression();
    }
  }

  private parseBracketed(op: string): Ast {
    if (op === "(") {
      const body = this.parsePipe();
      this.expectOp(")");
      return body;
    }
    if (op === "[") {
      if (this.isOp("]")) {
        this.next();
        return { type: "array", body: undefined };
      }
      const body = this.parsePipe();
      this.expectOp("]");
      return { type: "array", body };
    }
    if (op === "{") return this.parseObject();
    return this.badExpression();
  }

  private parseObject(): Ast {
    const entries: Array<{ key: Ast; value: Ast }> = [];
    while (!this.isOp("}")) {
      const keyToken = this.next();
      let key: Ast;
      if (keyToken.kind === "string" || keyToken.kind === "ident") key = { type: "literal", value: keyToken.value };
      else if (keyToken.kind === "number") key = { type: "literal", value: keyToken.value };
      else if (keyToken.kind === "op" && keyToken.value === "(") key = this.parseBracketed("(");
      else if (keyToken.kind === "path") key = { type: "key", key: keyToken.value };
      else return this.badExpression();
      if (this.isOp(":")) {
        this.next();
        entries.push({ key, value: this.parseLevel(0) });
      } else if (keyToken.kind === "path") {
        // `{.a}` shorthand for `{"a": .a}`.
        entries.push({ key: { type: "literal", value: keyToken.value }, value: key });
      } else {
        return this.badExpression();
      }
      if (!this.isOp(",")) break;
      this.next();
    }
    this.expectOp("}");
    return { type: "object", entries };
  }

  private parseWord(word: string): Ast {
    if (word === "true" || word === "false") return { type: "literal", value: word === "true" };
    if (word === "null") return { type: "literal", value: null };
    if (word === "reduce") {
      const source = this.parsePostfix();
      if (!this.isWord("as")) this.badExpression();
      this.next();
      const name = this.expectVar();
      const [init, update] = this.parseReduceArgs();
      return { type: "reduce", source, name, init, update };
    }
    const args: Ast[] = [];
    if (this.isOp("(")) {
      this.next();
      args.push(this.parsePipe());
      while (this.isOp(";")) {
        this.next();
        args.push(this.parsePipe());
      }
      this.expectOp(")");
    }
    return { type: "call", name: word, args };
  }
}

export function parseExpression(expression: string): Ast {
  return new Parser(tokenize(expression)).parseProgram();
}
