// More of yq's operators: attributes, paths and structure (with, explode, sort_keys, path, line, ...).
import { isAlias, isMap, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Document } from "yaml";
import { YqEvalError } from "./arithmetic.js";
import { getAttribute } from "./attributes.js";
import { lineAndColumn } from "./document.js";
import { booleanCandidate, detached, type Candidate, type Evaluator } from "./evaluate.js";
import { asNode, cloneNode, isTruthy, keyText, scalarText, tagOf, type YNode } from "./nodes.js";
import { parseExpression, type Ast } from "./parser.js";

type Operator = (ev: Evaluator, args: Ast[], c: Candidate) => Candidate[];

function one(c: Candidate, node: YNode): Candidate[] {
  return [detached(node, c)];
}

function argAt(args: Ast[], i: number, name: string): Ast {
  const a = args[i];
  if (a === undefined) throw new YqEvalError(`${name} requires an argument`);
  return a;
}

/** The keys from the document root down to `c`. */
export function pathOf(c: Candidate): Array<string | number> {
  const keys: Array<string | number> = [];
  for (let cur: Candidate | undefined = c; cur?.parent && !cur.parent.holder && cur.key !== undefined; cur = cur.parent) keys.unshift(cur.key);
  return keys;
}

function rootCandidateOf(c: Candidate): Candidate {
  let cur = c;
  while (cur.parent && !cur.parent.holder) cur = cur.parent;
  return cur;
}

/** A copy with aliases replaced by what they point to and `<<` merge keys merged in. */
function explodeNode(node: unknown, doc: Document | undefined): YNode {
  const resolved = isAlias(node) && doc ? node.resolve(doc) : node;
  const n = asNode(resolved, doc);
  if (isSeq(n)) {
    const out = cloneNode(n);
    out.items = n.items.map((item) => explodeNode(item, doc));
    return out;
  }
  if (!isMap(n)) {
    const out = cloneNode(n);
    out.anchor = undefined;
    return out;
  }
  const out = cloneNode(n);
  out.anchor = undefined;
  const pairs: Pair[] = [];
  const put = (key: string, value: YNode, override: boolean): void => {
    const existing = pairs.find((p) => keyText(p.key) === key);
    if (existing && override) existing.value = value;
    else if (!existing) pairs.push(new Pair(new Scalar(key), value));
  };
  for (const pair of n.items) {
    const key = keyText(pair.key, doc);
    if (key !== "<<") {
      put(key, explodeNode(pair.value, doc), true);
      continue;
    }
    const merged = explodeNode(pair.value, doc);
    const sources = isSeq(merged) ? merged.items.map((i) => asNode(i)) : [merged];
    for (const source of sources) if (isMap(source)) for (const p of source.items) put(keyText(p.key), asNode(p.value), false);
  }
  out.items = pairs;
  return out;
}

function regexFlags(ev: Evaluator, args: Ast[], c: Candidate): { re: RegExp; global: boolean } {
  const pattern = scalarText(ev.first(argAt(args, 0, "match"), c) as Scalar);
  const flags = args[1] ? scalarText(ev.first(args[1], c) as Scalar) : "";
  const inline = /^\(\?([a-z]+)\)/.exec(pattern);
  const jsFlags = [...new Set(`${flags.replace(/[^im]/g, "")}${inline?.[1]?.replace(/[^ims]/g, "") ?? ""}`)].join("");
  return { re: new RegExp(inline ? pattern.slice(inline[0].length) : pattern, `${jsFlags}gd`), global: flags.includes("g") };
}

function matchNode(m: RegExpExecArray): YAMLMap {
  const map = new YAMLMap();
  const captures = new YAMLSeq();
  const indices = m.indices ?? [];
  const names = Object.entries(m.groups ?? {});
  for (let i = 1; i < m.length; i++) {
    const capture = new YAMLMap();
    const value = m[i];
    capture.items.push(new Pair(new Scalar("string"), new Scalar(value ?? null)));
    capture.items.push(new Pair(new Scalar("offset"), new Scalar(value === undefined ? -1 : indices[i]?.[0] ?? -1)));
    capture.items.push(new Pair(new Scalar("length"), new Scalar(value?.length ?? 0)));
    const name = names.find(([, v]) => v === value)?.[0];
    if (name !== undefined) capture.items.push(new Pair(new Scalar("name"), new Scalar(name)));
    captures.items.push(capture);
  }
  map.items.push(new Pair(new Scalar("string"), new Scalar(m[0])));
  map.items.push(new Pair(new Scalar("offset"), new Scalar(m.index)));
  map.items.push(new Pair(new Scalar("length"), new Scalar(m[0].length)));
  map.items.push(new Pair(new Scalar("captures"), captures));
  return map;
}

function matches(ev: Evaluator, args: Ast[], c: Candidate): RegExpExecArray[] {
  if (!isScalar(c.node)) throw new YqEvalError(`cannot match with ${tagOf(c.node)}, can only match strings. Hint: Most often you'll want to use '|=' over '=' for this operation`);
  const { re, global } = regexFlags(ev, args, c);
  const all = [...scalarText(c.node).matchAll(re)];
  return global ? all : all.slice(0, 1);
}

export const MORE_OPERATORS: Record<string, Operator> = {
  tag: (_ev, _args, c) => one(c, getAttribute("tag", c)),
  style: (_ev, _args, c) => one(c, getAttribute("style", c)),
  line_comment: (_ev, _args, c) => one(c, getAttribute("line_comment", c)),
  head_comment: (_ev, _args, c) => one(c, getAttribute("head_comment", c)),
  foot_comment: (_ev, _args, c) => one(c, getAttribute("foot_comment", c)),
  anchor: (_ev, _args, c) => one(c, getAttribute("anchor", c)),
  kind: (_ev, _args, c) => one(c, new Scalar(isMap(c.node) ? "map" : isSeq(c.node) ? "seq" : "scalar")),
  with: (ev, args, c) => {
    for (const target of ev.eval(argAt(args, 0, "with"), c)) ev.eval(argAt(args, 1, "with"), target);
    return [c];
  },
  explode: (ev, args, c) => {
    for (const target of ev.eval(argAt(args, 0, "explode"), c)) ev.replace(target, explodeNode(target.node, ev.options.doc));
    return [c];
  },
  sort_keys: (ev, args, c) => {
    for (const target of ev.eval(argAt(args, 0, "sort_keys"), c)) {
      if (!isMap(target.node)) continue;
      target.node.items.sort((a, b) => {
        const ka = keyText(a.key);
        const kb = keyText(b.key);
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    }
    return [c];
  },
  path: (_ev, _args, c) => {
    const seq = new YAMLSeq();
    for (const key of pathOf(c)) seq.items.push(new Scalar(key));
    return one(c, seq);
  },
  line: (ev, _args, c) => one(c, new Scalar(lineAndColumn(ev.options.doc, c.node)?.line ?? 0)),
  column: (ev, _args, c) => one(c, new Scalar(lineAndColumn(ev.options.doc, c.node)?.col ?? 0)),
  eval: (ev, args, c) => ev.eval(argAt(args, 0, "eval"), c).flatMap((e) => ev.eval(parseExpression(scalarText(e.node as Scalar)), c)),
  omit: (ev, args, c) => {
    const keys = new Set(ev.eval(argAt(args, 0, "omit"), c).flatMap((r) => (isSeq(r.node) ? r.node.items : [r.node])).map((k) => keyText(k)));
    const node = c.node;
    if (isMap(node)) {
      const out = cloneNode(node);
      out.items = out.items.filter((p) => !keys.has(keyText(p.key)));
      return one(c, out);
    }
    if (isSeq(node)) {
      const out = cloneNode(node);
      out.items = out.items.filter((_item, i) => !keys.has(String(i)));
      return one(c, out);
    }
    return [c];
  },
  filter: (ev, args, c) => {
    const seq = new YAMLSeq();
    for (const item of ev.iterate(c)) {
      if (ev.eval(argAt(args, 0, "filter"), item).some((r) => isTruthy(r.node))) seq.items.push(cloneNode(item.node));
    }
    return one(c, seq);
  },
  match: (ev, args, c) => matches(ev, args, c).map((m) => detached(matchNode(m), c)),
  capture: (ev, args, c) =>
    matches(ev, args, c).map((m) => {
      const map = new YAMLMap();
      for (const [name, value] of Object.entries(m.groups ?? {})) map.items.push(new Pair(new Scalar(name), new Scalar(value ?? null)));
      return detached(map, c);
    }),
  array_to_map: (ev, _args, c) => {
    const map = new YAMLMap();
    ev.iterate(c).forEach((item) => {
      if (isScalar(item.node) && item.node.value === null) return;
      map.items.push(new Pair(new Scalar(item.key), cloneNode(item.node)));
    });
    return one(c, map);
  },
  root: (_ev, _args, c) => [rootCandidateOf(c)],
  file_index: (_ev, _args, c) => one(c, new Scalar(c.fileIndex ?? 0)),
  is_key: (_ev, _args, c) => [booleanCandidate(c.isKey === true, c)],
  split_doc: (_ev, _args, c) => [{ ...c, docIndex: 0 }],
};

MORE_OPERATORS.fi = MORE_OPERATORS.file_index as Operator;
