// Recursive-descent parser for Go text/template, producing the tree in ast.ts.
// Grammar, variable scoping and error wording follow Go's text/template/parse.

import { goQuote } from "../util/goquote.js";
import type {
  ArgNode,
  BodyNode,
  BranchNode,
  CommandNode,
  DelimiterNode,
  ListNode,
  PipeNode,
  TemplateNode,
  VariableNode,
} from "./ast.js";
import { nodeString } from "./ast.js";
import { TemplateError } from "./errors.js";
import { type Token, type TokenType, lex } from "./lexer.js";
import { LiteralSyntaxError, parseNumber, unquoteChar, unquoteString } from "./literals.js";

/** All trees parsed from one text: the main template and every {{define}}/{{block}}. */
export type TreeSet = Map<string, ListNode>;

export interface ParseResult {
  root: ListNode;
  trees: TreeSet;
}

/** Parses `text`; `hasFunction` tells which identifiers are callable (checked at parse time, as in Go). */
export function parse(name: string, text: string, hasFunction: (name: string) => boolean): ParseResult {
  const parser = new Parser(name, lex(text), hasFunction);
  const root = parser.parseTop();
  return { root, trees: parser.trees };
}

const OPERAND_START: ReadonlySet<TokenType> = new Set([
  "bool",
  "charConstant",
  "dot",
  "field",
  "identifier",
  "number",
  "nil",
  "rawString",
  "string",
  "variable",
  "leftParen",
]);

/** Go's item.String(), used in "unexpected X in Y" messages. */
function tokenString(token: Token): string {
  if (token.type === "eof") return "EOF";
  if (token.type === "error") return token.val;
  if (token.type === "keyword" || token.type === "nil" || token.type === "dot") return `<${token.val}>`;
  const chars = [...token.val];
  if (chars.length > 10) return `${goQuote(chars.slice(0, 10).join(""))}...`;
  return goQuote(token.val);
}

function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every(
    (node) => node.kind === "comment" || (node.kind === "text" && node.text.trim() === ""),
  );
}

function isDelimiter(node: BodyNode | DelimiterNode): node is DelimiterNode {
  return node.kind === "end" || node.kind === "else";
}

type ControlContext = "if" | "with" | "range";

class Parser {
  readonly trees: TreeSet = new Map();
  private index = 0;
  /** Furthest token read: Go reports parse errors at the line of the latest lexed token. */
  private furthest = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private actionLine = 0;

  constructor(
    private readonly name: string,
    private readonly tokens: Token[],
    private readonly hasFunction: (name: string) => boolean,
  ) {}

  parseTop(): ListNode {
    const root: ListNode = { kind: "list", pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const saved = this.index;
        const delim = this.next();
        if (this.isKeyword(this.nextNonSpace(), "define")) {
          this.actionLine = delim.line;
          this.parseDefinition();
          continue;
        }
        this.index = saved;
      }
      const node = this.textOrAction();
      if (isDelimiter(node)) this.errorf(`unexpected ${nodeString(node)}`);
      else root.nodes.push(node);
    }
    this.addTree(this.name, root);
    return root;
  }

  // Token access.

  private next(): Token {
    const token = this.tokenAt(this.index);
    this.index++;
    this.furthest = Math.max(this.furthest, this.index - 1);
    return token;
  }

  private peek(): Token {
    this.furthest = Math.max(this.furthest, this.index);
    return this.tokenAt(this.index);
  }

  /** Past the end the last token (EOF or a lexer error) repeats. */
  private tokenAt(index: number): Token {
    return this.tokens[Math.min(index, this.tokens.length - 1)] as Token;
  }

  private backup(): void {
    this.index--;
  }

  private nextNonSpace(): Token {
    let token = this.next();
    while (token.type === "space") token = this.next();
    return token;
  }

  private peekNonSpace(): Token {
    while (this.peek().type === "space") this.next();
    return this.peek();
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.type === "keyword" && token.val === word;
  }

  // Errors.

  private errorf(message: string): never {
    const line = this.tokenAt(this.furthest).line;
    throw new TemplateError(`template: ${this.name}:${line}: ${message}`, "parse");
  }

  private unexpected(token: Token, context: string): never {
    if (token.type !== "error") this.errorf(`unexpected ${tokenString(token)} in ${context}`);
    let extra = "";
    if (this.actionLine !== 0 && this.actionLine !== token.line) {
      extra = ` in action started at ${this.name}:${this.actionLine}`;
      if (token.val.endsWith(" action")) extra = extra.slice(" in action".length);
    }
    this.errorf(`${token.val}${extra}`);
  }

  private expect(type: TokenType, context: string): Token {
    const token = this.nextNonSpace();
    if (token.type !== type) this.unexpected(token, context);
    return token;
  }

  private unquote(token: Token): string {
    try {
      return unquoteString(token.val);
    } catch (err) {
      if (err instanceof LiteralSyntaxError) this.errorf(err.message);
      throw err;
    }
  }

  // Structure.

  private addTree(name: string, root: ListNode): void {
    const existing = this.trees.get(name);
    if (existing === undefined || isEmptyTree(existing)) {
      this.trees.set(name, root);
      return;
    }
    if (!isEmptyTree(root)) this.errorf(`template: multiple definition of template ${goQuote(name)}`);
  }

  /** Parses a list body with a fresh variable scope, as for define and block. */
  private parseDetachedList(context: string): ListNode {
    const savedVars = this.vars;
    const savedRangeDepth = this.rangeDepth;
    this.vars = ["$"];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.kind !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.vars = savedVars;
    this.rangeDepth = savedRangeDepth;
    return list;
  }

  private parseDefinition(): void {
    const context = "define clause";
    const token = this.nextNonSpace();
    if (token.type !== "string" && token.type !== "rawString") this.unexpected(token, context);
    const name = this.unquote(token);
    this.expect("rightDelim", context);
    this.addTree(name, this.parseDetachedList(context));
  }

  private itemList(): [ListNode, DelimiterNode] {
    const list: ListNode = { kind: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const node = this.textOrAction();
      if (isDelimiter(node)) return [list, node];
      else list.nodes.push(node);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): BodyNode | DelimiterNode {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "text":
        return { kind: "text", pos: token.pos, text: token.val };
      case "comment":
        return { kind: "comment", pos: token.pos, text: token.val };
      case "leftDelim": {
        this.actionLine = token.line;
        const node = this.action();
        this.actionLine = 0;
        return node;
      }
      default:
        this.unexpected(token, "input");
    }
  }

  private action(): BodyNode | DelimiterNode {
    const token = this.nextNonSpace();
    if (token.type === "keyword") {
      switch (token.val) {
        case "block":
          return this.blockControl();
        case "break":
        case "continue":
          return this.loopControl(token);
        case "else":
          return this.elseControl();
        case "end":
          return { kind: "end", pos: this.expect("rightDelim", "end").pos };
        case "if":
        case "range":
        case "with":
          return this.control(token.val);
        case "template":
          return this.templateControl();
      }
    }
    this.backup();
    const pos = this.peek().pos;
    return { kind: "action", pos, pipe: this.pipeline("command", "rightDelim") };
  }

  private loopControl(keyword: Token): BodyNode {
    const kind = keyword.val === "break" ? "break" : "continue";
    const token = this.nextNonSpace();
    if (token.type !== "rightDelim") this.unexpected(token, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { kind, pos: keyword.pos };
  }

  private elseControl(): DelimiterNode {
    const peek = this.peekNonSpace();
    if (this.isKeyword(peek, "if") || this.isKeyword(peek, "with")) return { kind: "else", pos: peek.pos };
    return { kind: "else", pos: this.expect("rightDelim", "else").pos };
  }

  private control(context: ControlContext): BranchNode {
    const savedVars = this.vars.length;
    const pipe = this.pipeline(context, "rightDelim");
    if (context === "range") this.rangeDepth++;
    const [list, next] = this.itemList();
    if (context === "range") this.rangeDepth--;
    let elseList: ListNode | undefined;
    if (next.kind === "else") elseList = this.elseBranch(context, next);
    this.vars.length = savedVars;
    return { kind: context, pos: pipe.pos, pipe, list, elseList };
  }

  /** `{{else if …}}` / `{{else with …}}` nest a new control needing no extra {{end}}. */
  private elseBranch(context: ControlContext, elseNode: DelimiterNode): ListNode {
    const peek = this.peek();
    if ((context === "if" || context === "with") && this.isKeyword(peek, context)) {
      this.next();
      return { kind: "list", pos: elseNode.pos, nodes: [this.control(context)] };
    }
    const [elseList, end] = this.itemList();
    if (end.kind !== "end") this.errorf(`expected end; found ${nodeString(end)}`);
    return elseList;
  }

  private templateName(token: Token, context: string): string {
    if (token.type !== "string" && token.type !== "rawString") this.unexpected(token, context);
    return this.unquote(token);
  }

  private templateControl(): TemplateNode {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    if (this.nextNonSpace().type === "rightDelim") return { kind: "template", pos: token.pos, name };
    this.backup();
    return { kind: "template", pos: token.pos, name, pipe: this.pipeline(context, "rightDelim") };
  }

  private blockControl(): TemplateNode {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, "rightDelim");
    this.addTree(name, this.parseDetachedList(context));
    return { kind: "template", pos: token.pos, name, pipe };
  }

  // Pipelines and operands.

  private pipeline(context: string, end: "rightDelim" | "rightParen"): PipeNode {
    const pipe: PipeNode = { kind: "pipe", pos: this.peekNonSpace().pos, isAssign: false, decls: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      if (!OPERAND_START.has(token.type)) this.unexpected(token, context);
      this.backup();
      pipe.cmds.push(this.command());
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.type !== "variable") return;
      const saved = this.index;
      this.next();
      const after = this.peekNonSpace();
      if (after.type === "assign" || after.type === "declare") {
        pipe.isAssign = after.type === "assign";
        this.nextNonSpace();
        this.declare(pipe, variable);
        return;
      }
      if (after.type !== "char" || after.val !== ",") {
        this.index = saved;
        return;
      }
      this.nextNonSpace();
      this.declare(pipe, variable);
      if (context !== "range" || pipe.decls.length >= 2) this.errorf(`too many declarations in ${context}`);
      const following = this.peekNonSpace().type;
      if (following !== "variable" && following !== "rightDelim" && following !== "rightParen") {
        this.errorf("range can only initialize variables");
      }
    }
  }

  private declare(pipe: PipeNode, token: Token): void {
    pipe.decls.push({ kind: "variable", pos: token.pos, idents: [token.val] });
    this.vars.push(token.val);
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((cmd, i) => {
      const first = cmd.args[0]?.kind;
      if (first === "bool" || first === "dot" || first === "nil" || first === "number" || first === "string") {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.type === "space") continue;
      if (token.type === "rightDelim" || token.type === "rightParen") this.backup();
      else if (token.type !== "pipe") this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const pos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().val.slice(1));
    switch (node.kind) {
      case "field":
        return { kind: "field", pos, idents: [...node.idents, ...fields] };
      case "variable":
        return { kind: "variable", pos, idents: [...node.idents, ...fields] };
      case "bool":
      case "string":
      case "number":
      case "nil":
      case "dot":
        this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
        break;
    }
    return { kind: "chain", pos, node, fields };
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case "identifier":
        if (!this.hasFunction(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { kind: "identifier", pos: token.pos, name: token.val };
      case "dot":
        return { kind: "dot", pos: token.pos };
      case "nil":
        return { kind: "nil", pos: token.pos };
      case "variable":
        return this.useVariable(token);
      case "field":
        return { kind: "field", pos: token.pos, idents: [token.val.slice(1)] };
      case "bool":
        return { kind: "bool", pos: token.pos, value: token.val === "true" };
      case "number":
      case "charConstant":
        return this.numberNode(token);
      case "leftParen":
        return this.pipeline("parenthesized pipeline", "rightParen");
      case "string":
      case "rawString":
        return { kind: "string", pos: token.pos, quoted: token.val, value: this.unquote(token) };
    }
    this.backup();
    return undefined;
  }

  private useVariable(token: Token): VariableNode {
    if (!this.vars.includes(token.val)) this.errorf(`undefined variable ${goQuote(token.val)}`);
    return { kind: "variable", pos: token.pos, idents: [token.val] };
  }

  private numberNode(token: Token): ArgNode {
    let value: number | undefined;
    try {
      value = token.type === "charConstant" ? unquoteChar(token.val) : parseNumber(token.val);
    } catch (err) {
      if (err instanceof LiteralSyntaxError) this.errorf(`malformed character constant: ${token.val}`);
      throw err;
    }
    if (value === undefined) this.errorf(`illegal number syntax: ${goQuote(token.val)}`);
    return { kind: "number", pos: token.pos, text: token.val, value };
  }
}
