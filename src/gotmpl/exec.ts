// Executes a parsed template against JS data with Go text/template semantics: dot and
// variable scoping, field chains, function calls, if/with/range/template, and Go's error
// texts (`template: NAME:LINE:COL: executing "NAME" at <NODE>: …`).

import { errorMessage } from "../util/errors.js";
import { goQuote } from "../util/goquote.js";
import type {
  AnyNode,
  ArgNode,
  BodyNode,
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  PipeNode,
  TemplateNode,
  VariableNode,
} from "./ast.js";
import { nodeString } from "./ast.js";
import { type Arity, BUILTINS, type FuncMap, MAP_ZERO_VALUE, SHORT_CIRCUIT_BUILTINS, type TemplateFunc } from "./builtins.js";
import { TemplateError } from "./errors.js";
import type { TreeSet } from "./parser.js";
import { formatValue, goTypeName, isTrue, kindOf, sortedEntries } from "./values.js";

/** A caller's answer for `.Name` on an object it treats as a Go struct. */
export interface FieldLookup {
  found: boolean;
  value?: unknown;
  /** Go type name for "can't evaluate field X in type T" (defaults to `typeName` for the root). */
  typeName?: string;
}

/**
 * Maps Go field names to data (e.g. `.SSHLocalPort` → `sshLocalPort`). Returning undefined
 * means "not a struct": the object is then read as a map.
 */
export type FieldResolver = (obj: object, name: string) => FieldLookup | undefined;

/** Go's missingkey option: "default"/"invalid" print `<no value>`, "zero" reads "", "error" fails. */
export type MissingKeyMode = "default" | "invalid" | "zero" | "error";

export interface ExecuteOptions {
  /** Go type of the root data; when set, the root object is a struct (unknown fields are errors). */
  typeName?: string;
  fieldResolver?: FieldResolver;
  missingKey?: MissingKeyMode;
}

export interface Program {
  parseName: string;
  text: string;
  trees: TreeSet;
  funcs: FuncMap;
}

const MAX_EXEC_DEPTH = 1000;

/** Marks "no value piped in" (Go's missingVal), distinct from undefined = invalid value. */
const MISSING: unique symbol = Symbol("missing");
type Final = unknown;

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: unknown;
}

export function executeTree(
  program: Program,
  name: string,
  root: ListNode,
  data: unknown,
  options: ExecuteOptions,
): string {
  const out: string[] = [];
  const rootData = data === null ? undefined : data;
  const state = new State(program, options, name, out, [{ name: "$", value: rootData }], 0, rootData);
  state.walk(rootData, root);
  return out.join("");
}

class State {
  private node: AnyNode | undefined;

  constructor(
    private readonly program: Program,
    private readonly options: ExecuteOptions,
    private readonly name: string,
    private readonly out: string[],
    private readonly vars: Variable[],
    private readonly depth: number,
    private readonly rootData: unknown,
  ) {}

  // Errors.

  private at(node: AnyNode): void {
    this.node = node;
  }

  private errorf(message: string): never {
    if (this.node === undefined) throw new TemplateError(`template: ${this.name}: ${message}`, "exec");
    const before = this.program.text.slice(0, this.node.pos);
    const lastNewline = before.lastIndexOf("\n");
    const line = before.split("\n").length;
    const column = lastNewline < 0 ? this.node.pos : this.node.pos - lastNewline - 1;
    const location = `${this.program.parseName}:${line}:${column}`;
    throw new TemplateError(
      `template: ${location}: executing ${goQuote(this.name)} at <${nodeString(this.node)}>: ${message}`,
      "exec",
    );
  }

  // Variables.

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i] as Variable;
      if (variable.name === name) return variable.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i] as Variable;
      if (variable.name === name) {
        variable.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    const variable = this.vars[this.vars.length - n];
    if (variable) variable.value = value;
  }

  // Walking.

  walk(dot: unknown, node: BodyNode | ListNode): void {
    this.at(node);
    switch (node.kind) {
      case "list":
        for (const child of node.nodes) this.walk(dot, child);
        return;
      case "text":
        this.out.push(node.text);
        return;
      case "comment":
        return;
      case "action": {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decls.length === 0) this.printValue(node, value);
        return;
      }
      case "if":
      case "with":
        this.walkIfOrWith(dot, node);
        return;
      case "range":
        this.walkRange(dot, node);
        return;
      case "template":
        this.walkTemplate(dot, node);
        return;
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
    }
  }

  private printValue(node: AnyNode, value: unknown): void {
    this.at(node);
    if (typeof value === "function") this.errorf(`can't print ${nodeString(node)} of type ${goTypeName(value)}`);
    this.out.push(value === undefined ? "<no value>" : formatValue(value));
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): void {
    const mark = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) this.walk(node.kind === "with" ? value : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: unknown, node: BranchNode): void {
    this.at(node);
    const outerMark = this.vars.length;
    try {
      const value = this.evalPipeline(dot, node.pipe);
      const items = this.rangeItems(value, node);
      if (items.length === 0) {
        if (node.elseList) this.walk(dot, node.elseList);
        return;
      }
      this.iterate(items, node);
    } finally {
      this.vars.length = outerMark;
    }
  }

  private iterate(items: [unknown, unknown][], node: BranchNode): void {
    const mark = this.vars.length;
    for (const [key, elem] of items) {
      if (node.pipe.decls.length > 0) this.setTopVar(1, elem);
      if (node.pipe.decls.length > 1) this.setTopVar(2, key);
      try {
        this.walk(elem, node.list);
      } catch (signal) {
        if (signal instanceof BreakSignal) return;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.vars.length = mark;
      }
    }
  }

  /** [index/key, element] pairs: slices in order, maps by sorted key, integers 0..n-1. */
  private rangeItems(value: unknown, node: BranchNode): [unknown, unknown][] {
    switch (kindOf(value)) {
      case "invalid":
      case "nil":
        return [];
      case "slice":
        return (value as unknown[]).map((elem, i) => [i, elem]);
      case "map":
        return sortedEntries(value as object);
      case "int": {
        if (node.pipe.decls.length > 1) this.errorf(`can't use ${formatValue(value)} to iterate over more than one variable`);
        return Array.from({ length: Math.max(Number(value), 0) }, (_, i) => [i, i]);
      }
      default:
        this.errorf(`range can't iterate over ${formatValue(value)}`);
    }
  }

  private walkTemplate(dot: unknown, node: TemplateNode): void {
    this.at(node);
    const tree = this.program.trees.get(node.name);
    if (tree === undefined) this.errorf(`template ${goQuote(node.name)} not defined`);
    if (this.depth >= MAX_EXEC_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    const newDot = this.evalPipeline(dot, node.pipe);
    const vars: Variable[] = [{ name: "$", value: newDot }];
    const inner = new State(this.program, this.options, node.name, this.out, vars, this.depth + 1, this.rootData);
    inner.walk(newDot, tree);
  }

  // Evaluation.

  private evalPipeline(dot: unknown, pipe: PipeNode | undefined): unknown {
    if (pipe === undefined) return undefined;
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const decl of pipe.decls) {
      const name = decl.idents[0] as string;
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0] as ArgNode)}`);
    }
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0] as ArgNode;
    switch (first.kind) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "bool":
      case "number":
      case "string":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
    }
  }

  private evalFieldNode(dot: unknown, field: FieldNode, args: ArgNode[], final: Final): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.idents, args, final);
  }

  private evalChainNode(dot: unknown, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    this.at(chain);
    if (chain.node.kind === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const receiver = this.evalArgRaw(dot, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariableNode(dot: unknown, variable: VariableNode, args: ArgNode[], final: Final): unknown {
    this.at(variable);
    const value = this.varValue(variable.idents[0] as string);
    if (variable.idents.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.idents.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    idents: string[],
    args: ArgNode[],
    final: Final,
  ): unknown {
    let current = receiver;
    idents.forEach((ident, i) => {
      const last = i === idents.length - 1;
      current = this.evalField(dot, ident, node, last ? args : [], last ? final : MISSING, current);
    });
    return current;
  }

  private evalField(
    dot: unknown,
    fieldName: string,
    node: AnyNode,
    args: ArgNode[],
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.options.missingKey === "error") this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${fieldName}`);
    if (kindOf(receiver) !== "map") this.errorf(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
    const hasArgs = args.length > 1 || final !== MISSING;
    const struct = this.structLookup(receiver as object, fieldName);
    if (struct !== undefined) {
      if (!struct.found) {
        const typeName = struct.typeName ?? this.rootTypeName(receiver) ?? goTypeName(receiver);
        this.errorf(`can't evaluate field ${fieldName} in type ${typeName}`);
      }
      if (typeof struct.value === "function") {
        return this.evalCall(dot, struct.value as TemplateFunc, node, fieldName, args, final);
      }
      if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return struct.value;
    }
    if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
    return this.mapField(receiver as object, fieldName);
  }

  private rootTypeName(receiver: unknown): string | undefined {
    return receiver === this.rootData ? this.options.typeName : undefined;
  }

  /** Struct semantics come from the resolver, or from `typeName` for the root object. */
  private structLookup(obj: object, name: string): FieldLookup | undefined {
    const resolved = this.options.fieldResolver?.(obj, name);
    if (resolved !== undefined) return resolved;
    if (this.rootTypeName(obj) === undefined) return undefined;
    const found = obj instanceof Map ? obj.has(name) : Object.hasOwn(obj, name);
    const value = obj instanceof Map ? obj.get(name) : (obj as Record<string, unknown>)[name];
    return { found, value };
  }

  private mapField(map: object, key: string): unknown {
    const value = map instanceof Map ? map.get(key) : Object.hasOwn(map, key) ? (map as Record<string, unknown>)[key] : undefined;
    if (value !== undefined) return value;
    switch (this.options.missingKey) {
      case "zero":
        return MAP_ZERO_VALUE;
      case "error":
        this.errorf(`map has no entry for key ${goQuote(key)}`);
        break;
    }
    return undefined;
  }

  private evalFunction(dot: unknown, node: IdentifierNode, cmd: AnyNode, args: ArgNode[], final: Final): unknown {
    this.at(node);
    const name = node.name;
    const custom = this.program.funcs[name];
    if (custom === undefined && SHORT_CIRCUIT_BUILTINS.has(name)) return this.evalAndOr(dot, name, args, final);
    const builtin = BUILTINS.get(name);
    const fn = custom ?? builtin?.fn;
    if (fn === undefined) this.errorf(`${goQuote(name)} is not a defined function`);
    if (custom === undefined && builtin) this.checkArity(name, builtin.arity, args.length - 1, final);
    return this.evalCall(dot, fn, cmd, name, args, final);
  }

  private checkArity(name: string, arity: Arity, argCount: number, final: Final): void {
    const numIn = argCount + (final === MISSING ? 0 : 1);
    if (arity.exact && numIn !== arity.min) this.errorf(`wrong number of args for ${name}: want ${arity.min} got ${numIn}`);
    if (!arity.exact && numIn < arity.min) {
      this.errorf(`wrong number of args for ${name}: want at least ${arity.min} got ${argCount}`);
    }
  }

  /** `and` returns the first false argument or the last; `or` the first true one or the last. */
  private evalAndOr(dot: unknown, name: string, args: ArgNode[], final: Final): unknown {
    this.checkArity(name, { min: 1 }, args.length - 1, final);
    const stopOn = name === "or";
    let value: unknown;
    for (const arg of args.slice(1)) {
      value = this.evalArg(dot, arg);
      if (isTrue(value) === stopOn) return value;
    }
    return final === MISSING ? value : toArgument(final);
  }

  private evalCall(dot: unknown, fn: TemplateFunc, node: AnyNode, name: string, args: ArgNode[], final: Final): unknown {
    const values = args.slice(1).map((arg) => this.evalArg(dot, arg));
    if (final !== MISSING) values.push(toArgument(final));
    try {
      return fn(...values);
    } catch (err) {
      if (err instanceof TemplateError || err instanceof BreakSignal || err instanceof ContinueSignal) throw err;
      this.at(node);
      this.errorf(`error calling ${name}: ${errorMessage(err)}`);
    }
  }

  private evalArg(dot: unknown, node: ArgNode): unknown {
    return toArgument(this.evalArgRaw(dot, node));
  }

  private evalArgRaw(dot: unknown, node: ArgNode): unknown {
    this.at(node);
    switch (node.kind) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "field":
        return this.evalFieldNode(dot, node, [node], MISSING);
      case "variable":
        return this.evalVariableNode(dot, node, [], MISSING);
      case "pipe":
        return this.evalPipeline(dot, node);
      case "identifier":
        return this.evalFunction(dot, node, node, [node], MISSING);
      case "chain":
        return this.evalChainNode(dot, node, [], MISSING);
      case "bool":
      case "number":
      case "string":
        return node.value;
    }
  }
}

/** A value passed to a function: Go turns an invalid value into nil for interface parameters. */
function toArgument(value: unknown): unknown {
  return value === undefined ? null : value;
}
