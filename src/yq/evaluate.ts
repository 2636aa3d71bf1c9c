// The evaluator: runs an AST over candidates (nodes that remember where they live, so
// assignments and deletions can modify the document in place).
import { isMap, isScalar, isSeq, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document } from "yaml";
import { add, compare, divide, equals, modulo, multiply, subtract, YqEvalError } from "./arithmetic.js";
import { assignAttribute } from "./attributes.js";
import { callBuiltin } from "./builtins.js";
import { asNode, cloneNode, findPair, isNullNode, isTruthy, keyText, numberOf, scalarText, type YNode } from "./nodes.js";
import type { Ast, AssignOp, BinaryOp, Literal } from "./parser.js";

export interface Candidate {
  node: YNode;
  /** The container this node sits in; absent for values that live nowhere (literals, results). */
  parent?: Candidate;
  key?: string | number;
  /** The invisible container holding a document's root, so the root itself can be replaced. */
  holder?: boolean;
  /** A map key itself (from `...`), not a value. */
  isKey?: boolean;
  /** The document (within its file) and the file this node comes from; 0 for literals. */
  docIndex: number;
  fileIndex?: number;
}

/** Where a result was made: its document and file. */
type Origin = Pick<Candidate, "docIndex" | "fileIndex">;

/** Literals belong to no document: yq prints them without separators. */
export const NO_DOCUMENT: Origin = { docIndex: 0 };

export interface EvalOptions {
  disableEnv: boolean;
  disableFile: boolean;
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
  doc?: Document;
}

export const ENV_DISABLED = "env operations have been disabled";
export const FILE_DISABLED = "file operations have been disabled";

/** Wraps a document root so that `. = x` can replace it; read the result back with `rootOf`. */
export function rootCandidate(node: YNode, docIndex = 0, fileIndex = 0): Candidate {
  const holder = new YAMLSeq();
  holder.items.push(node);
  return { node, parent: { node: holder, holder: true, docIndex, fileIndex }, key: 0, docIndex, fileIndex };
}

export function rootOf(root: Candidate): YNode {
  const holder = root.parent?.node;
  return holder && isSeq(holder) ? asNode(holder.items[0]) : root.node;
}

export function detached(node: YNode, origin: Origin): Candidate {
  return { node, docIndex: origin.docIndex, ...(origin.fileIndex === undefined ? {} : { fileIndex: origin.fileIndex }) };
}

export function booleanCandidate(value: boolean, origin: Origin): Candidate {
  return detached(new Scalar(value), origin);
}

/** The candidate for a value inside `parent` at `key`. */
export function childCandidate(parent: Candidate, node: YNode, key: string | number): Candidate {
  return { ...detached(node, parent), parent, key };
}

export class Evaluator {
  /** `$name` bindings in scope. */
  private readonly vars = new Map<string, Candidate[]>();

  constructor(readonly options: EvalOptions) {}

  /** Evaluates `body` with `$name` bound to `value`. */
  withVariable<T>(name: string, value: Candidate[], body: () => T): T {
    const saved = this.vars.get(name);
    this.vars.set(name, value);
    try {
      return body();
    } finally {
      if (saved === undefined) this.vars.delete(name);
      else this.vars.set(name, saved);
    }
  }

  run(ast: Ast, inputs: Candidate[]): Candidate[] {
    // A leading reduction folds over every input at once (`ea '. as $d ireduce ({}; . * $d)'`).
    const head = ast.type === "pipe" ? ast.left : ast;
    const first = inputs[0];
    if (head.type === "reduce" && first && inputs.length > 1) {
      const folded = this.reduceOver(inputs.flatMap((input) => this.eval(head.source, input)), head.name, head.init, head.update, first);
      return ast.type === "pipe" ? this.eval(ast.right, folded) : [folded];
    }
    return inputs.flatMap((input) => this.eval(ast, input));
  }

  eval(ast: Ast, c: Candidate): Candidate[] {
    switch (ast.type) {
      case "identity":
        return [c];
      case "recurse":
        return this.recurse(c, ast.withKeys);
      case "key":
        return this.child(c, ast.key);
      case "index":
        return this.eval(ast.target, c).flatMap((t) => this.eval(ast.index, c).flatMap((i) => this.indexInto(t, i.node)));
      case "slice":
        return this.eval(ast.target, c).map((t) => this.slice(t, ast.from && this.first(ast.from, c), ast.to && this.first(ast.to, c)));
      case "iterate":
        return this.eval(ast.target, c).flatMap((t) => this.iterate(t));
      case "literal":
        return [detached(literalNode(ast.value, ast.text), NO_DOCUMENT)];
      case "array":
        return [detached(this.collect(ast.body, c), c)];
      case "object":
        return this.object(ast.entries, c);
      case "pipe":
        // splitDoc makes each result a document of its own.
        if (ast.right.type === "call" && ast.right.name === "split_doc") return this.eval(ast.left, c).map((x, i) => ({ ...x, docIndex: i }));
        return this.eval(ast.left, c).flatMap((x) => this.eval(ast.right, x));
      case "comma":
        return [...this.eval(ast.left, c), ...this.eval(ast.right, c)];
      case "binary":
        return this.binary(ast.op, ast.left, ast.right, c);
      case "assign":
        return this.assign(ast.op, ast.left, ast.right, c);
      case "call":
        return callBuiltin(this, ast.name, ast.args, c);
      case "env":
        return [detached(this.envValue(ast.fn, ast.name), c)];
      case "optional":
        return this.optional(ast.body, c);
      case "var":
        return this.vars.get(ast.name) ?? [];
      case "bind":
        return this.eval(ast.source, c).flatMap((v) => {
          const value = ast.ref ? v : detached(cloneNode(v.node), v);
          return this.withVariable(ast.name, [value], () => this.eval(ast.body, c));
        });
      case "reduce":
        return [this.reduce(ast.source, ast.name, ast.init, ast.update, c)];
      case "attrAssign":
        return assignAttribute(this, ast.attr, ast.relative, ast.target, ast.value, c);
    }
  }

  private reduce(source: Ast, name: string, init: Ast, update: Ast, c: Candidate): Candidate {
    return this.reduceOver(this.eval(source, c), name, init, update, c);
  }

  private reduceOver(items: Candidate[], name: string, init: Ast, update: Ast, c: Candidate): Candidate {
    let acc: Candidate = detached(cloneNode(this.first(init, c)), c);
    for (const item of items) {
      const root = rootCandidate(acc.node, acc.docIndex, acc.fileIndex);
      const next = this.withVariable(name, [item], () => this.eval(update, root))[0];
      acc = detached(next ? next.node : rootOf(root), acc);
    }
    return acc;
  }

  /** Puts `value` where the candidate is, in its document. */
  replace(c: Candidate, value: YNode): void {
    setNode(c, value, this.options.doc);
  }

  /** The first result's node, or null. */
  first(ast: Ast, c: Candidate): YNode {
    return this.eval(ast, c)[0]?.node ?? new Scalar(null);
  }

  private optional(body: Ast, c: Candidate): Candidate[] {
    try {
      return this.eval(body, c);
    } catch {
      return [];
    }
  }

  child(c: Candidate, key: string): Candidate[] {
    const node = c.node;
    if (isMap(node)) {
      const pair = findPair(node, key, this.options.doc);
      return [childCandidate(c, asNode(pair?.value, this.options.doc), key)];
    }
    if (isNullNode(node)) return [childCandidate(c, new Scalar(null), key)];
    return [];
  }

  private indexInto(target: Candidate, index: YNode): Candidate[] {
    const n = numberOf(index);
    const node = target.node;
    if (n !== undefined && (isSeq(node) || isNullNode(node))) {
      const items = isSeq(node) ? node.items : [];
      const i = n < 0 ? items.length + n : Math.trunc(n);
      return [childCandidate(target, asNode(items[i], this.options.doc), i)];
    }
    if (isScalar(index)) return this.child(target, scalarText(index));
    return [];
  }

  private slice(target: Candidate, from: YNode | undefined, to: YNode | undefined): Candidate {
    const node = target.node;
    const length = isSeq(node) ? node.items.length : isScalar(node) ? scalarText(node).length : 0;
    const bound = (b: YNode | undefined, fallback: number): number => {
      const n = b === undefined ? undefined : numberOf(b);
      if (n === undefined) return fallback;
      return Math.min(length, Math.max(0, n < 0 ? length + n : n));
    };
    const start = bound(from, 0);
    const end = bound(to, length);
    if (isScalar(node)) return detached(new Scalar(scalarText(node).slice(start, end)), target);
    const out = new YAMLSeq();
    if (isSeq(node)) out.items = node.items.slice(start, end).map((item) => cloneNode(asNode(item, this.options.doc)));
    return detached(out, target);
  }

  iterate(c: Candidate): Candidate[] {
    const node = c.node;
    const doc = this.options.doc;
    if (isMap(node)) {
      return node.items.map((pair) => childCandidate(c, asNode(pair.value, doc), keyText(pair.key, doc)));
    }
    if (isSeq(node)) return node.items.map((item, i) => childCandidate(c, asNode(item, doc), i));
    return [];
  }

  private recurse(c: Candidate, withKeys: boolean): Candidate[] {
    const node = c.node;
    if (withKeys && isMap(node)) {
      return [
        c,
        ...node.items.flatMap((pair) => {
          const keyNode = asNode(pair.key, this.options.doc);
          const key: Candidate = { ...detached(keyNode, c), isKey: true };
          const value = childCandidate(c, asNode(pair.value, this.options.doc), keyText(pair.key, this.options.doc));
          return [key, ...this.recurse(value, withKeys)];
        }),
      ];
    }
    return [c, ...this.iterate(c).flatMap((child) => this.recurse(child, withKeys))];
  }

  collect(body: Ast | undefined, c: Candidate): YAMLSeq {
    const seq = new YAMLSeq();
    if (body) for (const result of this.eval(body, c)) seq.items.push(cloneNode(result.node));
    return seq;
  }

  /** `{k: v, ...}`: one map per combination of key and value results. */
  private object(entries: Array<{ key: Ast; value: Ast }>, c: Candidate): Candidate[] {
    let maps: YAMLMap[] = [new YAMLMap()];
    for (const entry of entries) {
      const keys = this.eval(entry.key, c).map((k) => (isScalar(k.node) ? scalarText(k.node) : keyText(k.node)));
      const values = this.eval(entry.value, c);
      const next: YAMLMap[] = [];
      for (const map of maps) {
        for (const key of keys) {
          for (const value of values) {
            const copy = cloneNode(map);
            copy.items.push(new Pair(new Scalar(key), cloneNode(value.node)));
            next.push(copy);
          }
        }
      }
      maps = next;
    }
    return maps.map((map) => detached(map, c));
  }

  private binary(op: BinaryOp, left: Ast, right: Ast, c: Candidate): Candidate[] {
    if (op === "//") return this.alternative(left, right, c);
    if (op === "and" || op === "or") return this.logical(op, left, right, c);
    const lhs = this.eval(left, c);
    const rhs = this.eval(right, c);
    const out: Candidate[] = [];
    for (const l of lhs) {
      for (const r of rhs) out.push(detached(applyBinary(op, l.node, r.node), l));
    }
    return out;
  }

  private alternative(left: Ast, right: Ast, c: Candidate): Candidate[] {
    let lhs: Candidate[] = [];
    try {
      lhs = this.eval(left, c).filter((x) => isTruthy(x.node));
    } catch {
      lhs = [];
    }
    return lhs.length > 0 ? lhs : this.eval(right, c);
  }

  private logical(op: "and" | "or", left: Ast, right: Ast, c: Candidate): Candidate[] {
    const out: Candidate[] = [];
    for (const l of this.eval(left, c)) {
      const lv = isTruthy(l.node);
      if (op === "or" && lv) out.push(booleanCandidate(true, c));
      else if (op === "and" && !lv) out.push(booleanCandidate(false, c));
      else for (const r of this.eval(right, c)) out.push(booleanCandidate(isTruthy(r.node), c));
    }
    return out;
  }

  private assign(op: AssignOp, left: Ast, right: Ast, c: Candidate): Candidate[] {
    if (op === "|=") {
      for (const target of this.eval(left, c)) {
        const result = this.eval(right, target)[0];
        if (result) setNode(target, cloneNode(result.node), this.options.doc);
      }
      return [c];
    }
    // Plain and arithmetic assignment evaluate the rhs against the context, once.
    const rhs = this.eval(right, c)[0]?.node;
    if (rhs === undefined) return [c];
    for (const target of this.eval(left, c)) {
      const value = op === "=" ? cloneNode(rhs) : applyBinary(arithmeticOf(op), target.node, rhs);
      setNode(target, value, this.options.doc);
    }
    return [c];
  }

  private envValue(fn: string, name: string): YNode {
    if (this.options.disableEnv) throw new YqEvalError(ENV_DISABLED);
    const value = this.options.env[name];
    if (fn === "strenv") return new Scalar(value ?? "");
    if (value === undefined) return new Scalar(null);
    return parseScalarText(value);
  }
}

/** env() values are parsed as YAML (`42` is a number, `{b: fish}` a map). */
function parseScalarText(text: string): YNode {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return new Scalar(text);
  return asNode(doc.contents, doc);
}

function arithmeticOf(op: AssignOp): BinaryOp {
  return op === "+=" ? "+" : op === "-=" ? "-" : op === "*=" ? "*" : "//";
}

function applyBinary(op: BinaryOp, lhs: YNode, rhs: YNode): YNode {
  switch (op) {
    case "+":
      return add(lhs, rhs);
    case "-":
      return subtract(lhs, rhs);
    case "*":
      return multiply(lhs, rhs);
    case "/":
      return divide(lhs, rhs);
    case "%":
      return modulo(lhs, rhs);
    case "==":
      return new Scalar(equals(lhs, rhs));
    case "!=":
      return new Scalar(!equals(lhs, rhs));
    case "//":
      return cloneNode(isTruthy(lhs) ? lhs : rhs);
    case "and":
      return new Scalar(isTruthy(lhs) && isTruthy(rhs));
    case "or":
      return new Scalar(isTruthy(lhs) || isTruthy(rhs));
    default:
      return new Scalar(compare(op, lhs, rhs));
  }
}

function literalNode(value: Literal, text: string | undefined): Scalar {
  const node = new Scalar(value);
  // Keep `1.0` a float when written back.
  if (typeof value === "number" && text !== undefined && /\./.test(text)) {
    const fraction = /\.([0-9]+)/.exec(text)?.[1] ?? "";
    node.minFractionDigits = fraction.length;
  }
  return node;
}

/** The current node at a candidate's location (earlier writes may have replaced it). */
function refresh(c: Candidate, doc: Document | undefined): YNode {
  if (!c.parent || c.key === undefined) return c.node;
  const container = refresh(c.parent, doc);
  if (isMap(container)) {
    const pair = findPair(container, String(c.key), doc);
    if (pair) c.node = asNode(pair.value, doc);
  } else if (isSeq(container) && typeof c.key === "number" && c.key < container.items.length) {
    c.node = asNode(container.items[c.key], doc);
  }
  return c.node;
}

function materialize(c: Candidate, kind: "map" | "seq", doc: Document | undefined): YAMLMap | YAMLSeq {
  const current = refresh(c, doc);
  if (isMap(current) || isSeq(current)) return current;
  const created = kind === "seq" ? new YAMLSeq() : new YAMLMap();
  setNode(c, created, doc);
  return created;
}

/** Writes `value` at the candidate's location, creating parent maps/sequences as needed. */
export function setNode(c: Candidate, value: YNode, doc: Document | undefined): void {
  const parent = c.parent;
  if (!parent || c.key === undefined) {
    c.node = value;
    return;
  }
  const container = materialize(parent, typeof c.key === "number" ? "seq" : "map", doc);
  // `{}` / `[]` is just how an empty collection is written: grow it in block style.
  if (container.items.length === 0) container.flow = false;
  if (isMap(container)) {
    const key = String(c.key);
    const pair = findPair(container, key, doc);
    if (pair) {
      keepComments(asNode(pair.value, doc), value);
      pair.value = value;
    } else {
      container.items.push(new Pair(new Scalar(key), value));
    }
  } else {
    const index = typeof c.key === "number" ? c.key : Number(c.key);
    while (container.items.length < index) container.items.push(new Scalar(null));
    const old = container.items[index];
    if (old !== undefined) keepComments(asNode(old, doc), value);
    container.items[index] = value;
  }
  c.node = value;
}

/** Like yq, a replaced value keeps the comments of the node it replaces. */
function keepComments(old: YNode, value: YNode): void {
  if (old === value) return;
  if (old.comment && !value.comment) value.comment = old.comment;
  if (old.commentBefore && !value.commentBefore) value.commentBefore = old.commentBefore;
  if (old.spaceBefore) value.spaceBefore = true;
}

export function deleteNode(c: Candidate, doc: Document | undefined): void {
  const parent = c.parent;
  if (!parent || c.key === undefined) return;
  const container = refresh(parent, doc);
  if (isMap(container)) {
    const key = String(c.key);
    container.items = container.items.filter((pair) => keyText(pair.key, doc) !== key);
    return;
  }
  if (!isSeq(container)) return;
  if (parent.holder) {
    container.items[0] = new Scalar(null);
    return;
  }
  const index = container.items.findIndex((item) => asNode(item, doc) === c.node);
  if (index >= 0) container.items.splice(index, 1);
}
