// Named operators (`select`, `keys`, `unique_by`, ...).
import { isMap, isScalar, isSeq, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { add, YqEvalError } from "./arithmetic.js";
import { booleanCandidate, deleteNode, detached, FILE_DISABLED, ENV_DISABLED, type Candidate, type Evaluator } from "./evaluate.js";
import { asNode, cloneNode, compareNodes, deepEqual, identityKey, isNullNode, isTruthy, keyText, numberOf, scalarText, tagOf, toJS, type YNode } from "./nodes.js";
import type { Ast } from "./parser.js";
import { ENCODERS } from "./formats.js";
import { MORE_OPERATORS } from "./operators.js";

type Builtin = (ev: Evaluator, args: Ast[], c: Candidate) => Candidate[];

const FILE_OPS = new Set(["load", "load_str", "load_xml", "load_props", "load_base64"]);

function result(c: Candidate, node: YNode): Candidate[] {
  return [detached(node, c)];
}

function arg(args: Ast[], i: number, name: string): Ast {
  const a = args[i];
  if (a === undefined) throw new YqEvalError(`${name} requires an argument`);
  return a;
}

function itemsOf(ev: Evaluator, c: Candidate): YNode[] {
  const node = c.node;
  if (isSeq(node)) return node.items.map((item) => asNode(item, ev.options.doc));
  if (isMap(node)) return node.items.map((pair) => asNode(pair.value, ev.options.doc));
  if (isNullNode(node)) return [];
  throw new YqEvalError(`cannot iterate over ${tagOf(node)}`);
}

function seqOf(nodes: YNode[]): YAMLSeq {
  const seq = new YAMLSeq();
  seq.items = nodes.map((n) => cloneNode(n));
  return seq;
}

function stringArg(ev: Evaluator, args: Ast[], i: number, name: string, c: Candidate): string {
  const node = ev.first(arg(args, i, name), c);
  return isScalar(node) ? scalarText(node) : "";
}

function textOf(node: YNode): string {
  if (!isScalar(node)) throw new YqEvalError(`cannot use ${tagOf(node)} as a string`);
  return scalarText(node);
}

/** Sort key results of `e` for each item, for sort_by/group_by/unique_by. */
function keyed(ev: Evaluator, e: Ast, items: YNode[], c: Candidate): Array<{ item: YNode; key: YNode }> {
  return items.map((item) => ({ item, key: ev.first(e, detached(item, c)) }));
}

function uniqueBy(items: Array<{ item: YNode; key: YNode }>): YAMLSeq {
  const seen = new Set<string>();
  const kept: YNode[] = [];
  for (const { item, key } of items) {
    const id = identityKey(key);
    if (seen.has(id)) continue;
    seen.add(id);
    kept.push(item);
  }
  return seqOf(kept);
}

function sortBy(items: Array<{ item: YNode; key: YNode }>): YNode[] {
  return items
    .map((entry, i) => ({ ...entry, i }))
    .sort((a, b) => compareNodes(a.key, b.key) || a.i - b.i)
    .map((entry) => entry.item);
}

function toEntries(ev: Evaluator, node: YNode): YAMLSeq {
  const seq = new YAMLSeq();
  const doc = ev.options.doc;
  if (isMap(node)) {
    for (const pair of node.items) {
      const entry = new YAMLMap();
      entry.items.push(new Pair(new Scalar("key"), cloneNode(asNode(pair.key, doc))));
      entry.items.push(new Pair(new Scalar("value"), cloneNode(asNode(pair.value, doc))));
      seq.items.push(entry);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const entry = new YAMLMap();
      entry.items.push(new Pair(new Scalar("key"), new Scalar(i)));
      entry.items.push(new Pair(new Scalar("value"), cloneNode(asNode(item, doc))));
      seq.items.push(entry);
    });
  }
  return seq;
}

const ENTRY_KEYS = ["key", "k", "name", "Name", "Key", "K"];
const ENTRY_VALUES = ["value", "v", "Value", "V"];

function fromEntries(ev: Evaluator, node: YNode): YAMLMap {
  const map = new YAMLMap();
  for (const entry of isSeq(node) ? node.items : []) {
    const e = asNode(entry, ev.options.doc);
    if (!isMap(e)) continue;
    const field = (names: string[]): YNode | undefined => {
      const pair = e.items.find((p) => names.includes(keyText(p.key)));
      return pair ? asNode(pair.value, ev.options.doc) : undefined;
    };
    const key = field(ENTRY_KEYS);
    if (key === undefined || !isScalar(key)) continue;
    map.items.push(new Pair(new Scalar(scalarText(key)), cloneNode(field(ENTRY_VALUES) ?? new Scalar(null))));
  }
  return map;
}

function contains(lhs: YNode, rhs: YNode): boolean {
  if (isScalar(lhs) && isScalar(rhs)) {
    if (typeof lhs.value === "string" && typeof rhs.value === "string") return lhs.value.includes(rhs.value);
    return deepEqual(lhs, rhs);
  }
  if (isSeq(lhs) && isSeq(rhs)) return rhs.items.every((r) => lhs.items.some((l) => contains(asNode(l), asNode(r))));
  if (isSeq(lhs)) return lhs.items.some((l) => contains(asNode(l), rhs));
  if (isMap(lhs) && isMap(rhs)) {
    return rhs.items.every((rp) => {
      const lp = lhs.items.find((p) => keyText(p.key) === keyText(rp.key));
      return lp !== undefined && contains(asNode(lp.value), asNode(rp.value));
    });
  }
  return false;
}

function flatten(node: YNode, depth: number): YNode[] {
  if (!isSeq(node)) return [node];
  return node.items.flatMap((item) => {
    const n = asNode(item);
    return depth > 0 && isSeq(n) ? flatten(n, depth - 1) : [n];
  });
}

function envsubst(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? "";
    return env[name] ?? fallback ?? "";
  });
}

function regexOf(pattern: string, flags = ""): RegExp {
  // Go RE2 inline flags such as (?i) are not JS syntax.
  const inline = /^\(\?([a-z]+)\)/.exec(pattern);
  const extra = inline?.[1]?.replace(/[^ims]/g, "") ?? "";
  return new RegExp(inline ? pattern.slice(inline[0].length) : pattern, [...new Set(flags + extra)].join(""));
}

const BUILTINS: Record<string, Builtin> = {
  select: (ev, args, c) => (ev.eval(arg(args, 0, "select"), c).some((r) => isTruthy(r.node)) ? [c] : []),
  del: (ev, args, c) => {
    const targets = ev.eval(arg(args, 0, "del"), c);
    for (const target of targets.reverse()) deleteNode(target, ev.options.doc);
    return [c];
  },
  has: (ev, args, c) =>
    ev.eval(arg(args, 0, "has"), c).map((k) => {
      const node = c.node;
      if (isMap(node)) return booleanCandidate(node.items.some((p) => keyText(p.key) === textOf(k.node)), c);
      const i = numberOf(k.node);
      return booleanCandidate(isSeq(node) && i !== undefined && i >= 0 && i < node.items.length, c);
    }),
  keys: (ev, _args, c) => {
    const node = c.node;
    if (isMap(node)) return result(c, seqOf(node.items.map((p) => cloneNode(asNode(p.key, ev.options.doc)))));
    if (isSeq(node)) return result(c, seqOf(node.items.map((_item, i) => new Scalar(i))));
    throw new YqEvalError(`Cannot get keys of ${tagOf(node)}, keys only works for maps and arrays`);
  },
  length: (_ev, _args, c) => {
    const node = c.node;
    if (isMap(node) || isSeq(node)) return result(c, new Scalar(node.items.length));
    if (isNullNode(node)) return result(c, new Scalar(0));
    return result(c, new Scalar(scalarText(node).length));
  },
  unique: (ev, _args, c) => {
    const items = itemsOf(ev, c);
    return result(c, uniqueBy(items.map((item) => ({ item, key: item }))));
  },
  unique_by: (ev, args, c) => result(c, uniqueBy(keyed(ev, arg(args, 0, "unique_by"), itemsOf(ev, c), c))),
  sort: (ev, _args, c) => result(c, seqOf(sortBy(itemsOf(ev, c).map((item) => ({ item, key: item }))))),
  sort_by: (ev, args, c) => result(c, seqOf(sortBy(keyed(ev, arg(args, 0, "sort_by"), itemsOf(ev, c), c)))),
  group_by: (ev, args, c) => {
    const groups = new Map<string, YNode[]>();
    for (const { item, key } of keyed(ev, arg(args, 0, "group_by"), sortBy(keyed(ev, arg(args, 0, "group_by"), itemsOf(ev, c), c)), c)) {
      const id = identityKey(key);
      groups.set(id, [...(groups.get(id) ?? []), item]);
    }
    return result(c, seqOf([...groups.values()].map((g) => seqOf(g))));
  },
  map: (ev, args, c) => result(c, seqOf(ev.iterate(c).flatMap((item) => ev.eval(arg(args, 0, "map"), item).map((r) => r.node)))),
  map_values: (ev, args, c) => {
    for (const item of ev.iterate(c)) {
      const out = ev.eval(arg(args, 0, "map_values"), item)[0];
      if (out) replaceChild(c.node, item.key, cloneNode(out.node));
    }
    return [c];
  },
  to_entries: (ev, _args, c) => result(c, toEntries(ev, c.node)),
  from_entries: (ev, _args, c) => result(c, fromEntries(ev, c.node)),
  with_entries: (ev, args, c) => {
    const entries = toEntries(ev, c.node);
    const mapped = seqOf(ev.iterate(detached(entries, c)).flatMap((e) => ev.eval(arg(args, 0, "with_entries"), e).map((r) => r.node)));
    return result(c, fromEntries(ev, mapped));
  },
  test: (ev, args, c) => {
    const re = regexOf(stringArg(ev, args, 0, "test", c), args[1] ? stringArg(ev, args, 1, "test", c).replace("g", "") : "");
    return [booleanCandidate(re.test(textOf(c.node)), c)];
  },
  contains: (ev, args, c) => ev.eval(arg(args, 0, "contains"), c).map((r) => booleanCandidate(contains(c.node, r.node), c)),
  split: (ev, args, c) => {
    if (isNullNode(c.node)) return result(c, new Scalar(null));
    const sep = stringArg(ev, args, 0, "split", c);
    return result(c, seqOf(textOf(c.node).split(sep).map((s) => new Scalar(s))));
  },
  join: (ev, args, c) => {
    const sep = stringArg(ev, args, 0, "join", c);
    return result(c, new Scalar(itemsOf(ev, c).map((n) => (isNullNode(n) ? "" : textOf(n))).join(sep)));
  },
  tostring: (_ev, _args, c) => result(c, new Scalar(isScalar(c.node) ? scalarText(c.node) : JSON.stringify(toJS(c.node)))),
  tonumber: (_ev, _args, c) => {
    const n = isScalar(c.node) ? Number(scalarText(c.node)) : NaN;
    if (Number.isNaN(n)) throw new YqEvalError(`cannot convert node value [${isScalar(c.node) ? scalarText(c.node) : tagOf(c.node)}] to number`);
    return result(c, new Scalar(n));
  },
  type: (_ev, _args, c) => result(c, new Scalar(tagOf(c.node))),
  first: (ev, args, c) => {
    const items = ev.iterate(c);
    const match = args[0] ? items.find((item) => ev.eval(args[0] as Ast, item).some((r) => isTruthy(r.node))) : items[0];
    return match ? [match] : [];
  },
  last: (ev, _args, c) => {
    const items = ev.iterate(c);
    const last = items[items.length - 1];
    return last ? [last] : [];
  },
  reverse: (ev, _args, c) => {
    if (isScalar(c.node) && typeof c.node.value === "string") return result(c, new Scalar([...c.node.value].reverse().join("")));
    return result(c, seqOf(itemsOf(ev, c).reverse()));
  },
  flatten: (ev, args, c) => {
    const depth = args[0] ? numberOf(ev.first(args[0], c)) ?? Infinity : Infinity;
    return result(c, seqOf(flatten(c.node, depth)));
  },
  add: (ev, _args, c) => result(c, itemsOf(ev, c).reduce<YNode>((acc, item) => add(acc, item), new Scalar(null))),
  any: (ev, args, c) => [booleanCandidate(matches(ev, args, c).some((x) => x), c)],
  all: (ev, args, c) => [booleanCandidate(matches(ev, args, c).every((x) => x), c)],
  min: (ev, _args, c) => extreme(ev, c, -1),
  max: (ev, _args, c) => extreme(ev, c, 1),
  key: (_ev, _args, c) => (c.key === undefined || c.parent?.holder ? [] : result(c, new Scalar(c.key))),
  parent: (_ev, _args, c) => (c.parent && !c.parent.holder ? [c.parent] : []),
  not: (_ev, _args, c) => [booleanCandidate(!isTruthy(c.node), c)],
  empty: () => [],
  error: (ev, args, c) => {
    throw new YqEvalError(args[0] ? stringArg(ev, args, 0, "error", c) : "error");
  },
  ascii_downcase: (_ev, _args, c) => result(c, new Scalar(textOf(c.node).toLowerCase())),
  downcase: (_ev, _args, c) => result(c, new Scalar(textOf(c.node).toLowerCase())),
  ascii_upcase: (_ev, _args, c) => result(c, new Scalar(textOf(c.node).toUpperCase())),
  upcase: (_ev, _args, c) => result(c, new Scalar(textOf(c.node).toUpperCase())),
  trim: (_ev, _args, c) => result(c, new Scalar(textOf(c.node).trim())),
  startswith: (ev, args, c) => [booleanCandidate(textOf(c.node).startsWith(stringArg(ev, args, 0, "startswith", c)), c)],
  endswith: (ev, args, c) => [booleanCandidate(textOf(c.node).endsWith(stringArg(ev, args, 0, "endswith", c)), c)],
  ltrimstr: (ev, args, c) => {
    const prefix = stringArg(ev, args, 0, "ltrimstr", c);
    const text = isScalar(c.node) ? scalarText(c.node) : "";
    return isScalar(c.node) && text.startsWith(prefix) ? result(c, new Scalar(text.slice(prefix.length))) : [c];
  },
  rtrimstr: (ev, args, c) => {
    const suffix = stringArg(ev, args, 0, "rtrimstr", c);
    const text = isScalar(c.node) ? scalarText(c.node) : "";
    return isScalar(c.node) && suffix !== "" && text.endsWith(suffix) ? result(c, new Scalar(text.slice(0, -suffix.length))) : [c];
  },
  sub: (ev, args, c) => {
    const re = regexOf(stringArg(ev, args, 0, "sub", c), "g");
    const replacement = stringArg(ev, args, 1, "sub", c).replace(/\$\{(\d+)\}/g, "$$$1");
    return result(c, new Scalar(textOf(c.node).replace(re, replacement)));
  },
  envsubst: (ev, _args, c) => {
    if (ev.options.disableEnv) throw new YqEvalError(ENV_DISABLED);
    return result(c, new Scalar(envsubst(textOf(c.node), ev.options.env)));
  },
  system: () => {
    throw new YqEvalError("system operations are disabled, use --security-enable-system-operator flag to enable");
  },
  collect: (ev, args, c) => result(c, ev.collect(args[0], c)),
  pick: (ev, args, c) => {
    const wanted = ev.eval(arg(args, 0, "pick"), c).flatMap((r) => itemsOf(ev, r)).map((k) => textOf(k));
    const node = c.node;
    if (!isMap(node)) return result(c, new YAMLMap());
    const out = new YAMLMap();
    for (const key of wanted) {
      const pair = node.items.find((p) => keyText(p.key) === key);
      if (pair) out.items.push(new Pair(new Scalar(key), cloneNode(asNode(pair.value, ev.options.doc))));
    }
    return result(c, out);
  },
  document_index: (_ev, _args, c) => result(c, new Scalar(c.docIndex)),
  line_comment: (_ev, _args, c) => result(c, new Scalar((c.node.comment ?? "").trim())),
  head_comment: (_ev, _args, c) => result(c, new Scalar((c.node.commentBefore ?? "").trim())),
  abs: (_ev, _args, c) => {
    const n = numberOf(c.node);
    return n === undefined ? [c] : result(c, new Scalar(Math.abs(n)));
  },
};

BUILTINS.di = BUILTINS.document_index as Builtin;
BUILTINS.any_c = BUILTINS.any as Builtin;
BUILTINS.all_c = BUILTINS.all as Builtin;
Object.assign(BUILTINS, MORE_OPERATORS);
BUILTINS.to_string = BUILTINS.tostring as Builtin;
BUILTINS.to_number = BUILTINS.tonumber as Builtin;

function matches(ev: Evaluator, args: Ast[], c: Candidate): boolean[] {
  const condition = args[0];
  return ev.iterate(c).map((item) => (condition ? ev.eval(condition, item).some((r) => isTruthy(r.node)) : isTruthy(item.node)));
}

function extreme(ev: Evaluator, c: Candidate, sign: 1 | -1): Candidate[] {
  const items = itemsOf(ev, c);
  if (items.length === 0) return [];
  const best = items.reduce((a, b) => (sign * compareNodes(b, a) > 0 ? b : a));
  return result(c, cloneNode(best));
}

function replaceChild(container: YNode, key: string | number | undefined, value: YNode): void {
  if (isMap(container)) {
    const pair = container.items.find((p) => keyText(p.key) === String(key));
    if (pair) pair.value = value;
  } else if (isSeq(container) && typeof key === "number") {
    container.items[key] = value;
  }
}

export function callBuiltin(ev: Evaluator, name: string, args: Ast[], c: Candidate): Candidate[] {
  if (FILE_OPS.has(name)) return loadFile(ev, name, args, c);
  const encoder = ENCODERS[name];
  if (encoder) {
    const indent = args[0] ? numberOf(ev.first(args[0], c)) : undefined;
    return result(c, encoder(c.node, indent));
  }
  const fn = BUILTINS[name];
  if (!fn) throw new YqEvalError(`unknown operator ${name}`);
  return fn(ev, args, c);
}

function loadFile(ev: Evaluator, name: string, args: Ast[], c: Candidate): Candidate[] {
  if (ev.options.disableFile) throw new YqEvalError(FILE_DISABLED);
  const path = stringArg(ev, args, 0, name, c);
  const text = ev.options.readFile(path);
  if (name === "load_str") return result(c, new Scalar(text));
  if (name === "load_base64") return result(c, new Scalar(Buffer.from(text.trim(), "base64").toString("utf8")));
  if (name === "load") return result(c, asNode(parseDocument(text).contents));
  throw new YqEvalError(`${name} is not supported`);
}
