// Turns a parsed YAML document into schema-typed values, recording the line of every field path
// and collecting unknown fields (warnings) and type mismatches (errors) with their lines.
import { isIP } from "node:net";
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml";
import { goQuote, q } from "../util/goquote.js";
import type { FieldSchema, ObjectSchema } from "./schema.js";

export interface Problem {
  path: string;
  line: number | undefined;
  message: string;
}

export interface Decoded {
  value: Record<string, unknown>;
  lines: Map<string, number>;
  unknown: (Problem & { suggestion?: string })[];
  typeErrors: Problem[];
}

type YAMLNode = Node | null | undefined;

class Decoder {
  readonly lines = new Map<string, number>();
  readonly unknown: (Problem & { suggestion?: string })[] = [];
  readonly typeErrors: Problem[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  lineAt(node: YAMLNode | Pair["key"]): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.lineCounter.linePos(range[0]).line : undefined;
  }

  resolve(node: YAMLNode): YAMLNode {
    return isAlias(node) ? (node.resolve(this.doc) as YAMLNode) : node;
  }

  typeError(path: string, node: YAMLNode, expected: string): undefined {
    this.typeErrors.push({ path, line: this.line(path, node), message: `field ${q(path)} must be ${expected}, got ${describe(node)}` });
    return undefined;
  }

  private line(path: string, node: YAMLNode): number | undefined {
    return this.lines.get(path) ?? this.lineAt(node);
  }

  decode(raw: YAMLNode, schema: FieldSchema, path: string): unknown {
    const node = this.resolve(raw);
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    switch (schema.kind) {
      case "string":
        return this.scalarString(node, path, "a string");
      case "ip": {
        const text = this.scalarString(node, path, "an IP address");
        return text === undefined || isIP(text) !== 0 ? text : this.typeError(path, node, "an IP address");
      }
      case "int":
        return this.integer(node, path, schema.unsigned === true);
      case "bool":
        return isScalar(node) && typeof node.value === "boolean" ? node.value : this.typeError(path, node, "a boolean");
      case "intPair":
        return this.intPair(node, path);
      case "stringMap":
        return this.stringMap(node, path);
      case "any":
        return node.toJSON();
      case "list":
        return this.list(node, schema.item, path, schema.allowSingle === true);
      case "object":
        return this.object(node, schema, path);
      case "stringOr":
        if (isScalar(node)) {
          const text = this.scalarString(node, path, "a string");
          return text === undefined ? undefined : { [schema.key]: text };
        }
        return this.object(node, schema.object, path, "a string or a mapping");
      case "anyMap":
        return this.anyMap(node, schema.known, path);
    }
  }

  private scalarString(node: Node, path: string, expected: string): string | undefined {
    if (!isScalar(node)) return this.typeError(path, node, expected);
    if (typeof node.value === "string") return node.value;
    // Go's decoder turns numbers and booleans into their text; keep the source spelling (`1.10`).
    return typeof node.source === "string" ? node.source : String(node.value);
  }

  private integer(node: Node, path: string, unsigned: boolean): number | undefined {
    const expected = unsigned ? "a non-negative integer" : "an integer";
    if (!isScalar(node)) return this.typeError(path, node, expected);
    // Numeric strings are accepted (the edit flags emit ports as strings).
    const n = typeof node.value === "string" && /^[+-]?\d+$/.test(node.value.trim()) ? Number(node.value) : node.value;
    if (typeof n !== "number" || !Number.isInteger(n) || (unsigned && n < 0)) return this.typeError(path, node, expected);
    return n;
  }

  private intPair(node: Node, path: string): [number, number] | undefined {
    if (!isSeq(node) || node.items.length !== 2) return this.typeError(path, node, "a list of two integers");
    const values = node.items.map((item, i) => {
      this.record(`${path}[${i}]`, item as Node);
      return this.integer(this.resolve(item as Node) as Node, `${path}[${i}]`, false);
    });
    const [a, b] = values;
    return a === undefined || b === undefined ? undefined : [a, b];
  }

  private stringMap(node: Node, path: string): Record<string, string> | undefined {
    if (!isMap(node)) return this.typeError(path, node, "a mapping of strings");
    const out: Record<string, string> = {};
    for (const [key, pair] of this.pairs(node, path)) {
      const value = this.resolve(pair.value as YAMLNode);
      if (value === null || value === undefined || (isScalar(value) && value.value === null)) {
        out[key] = "";
        continue;
      }
      const text = this.scalarString(value, `${path}.${key}`, "a string");
      if (text !== undefined) out[key] = text;
    }
    return out;
  }

  private list(node: Node, item: FieldSchema, path: string, allowSingle: boolean): unknown[] | undefined {
    if (!isSeq(node)) {
      if (allowSingle) {
        const single = this.decode(node, item, `${path}[0]`);
        return single === undefined ? undefined : [single];
      }
      return this.typeError(path, node, "a list");
    }
    const out: unknown[] = [];
    node.items.forEach((child, i) => {
      const childPath = `${path}[${i}]`;
      this.record(childPath, child as Node);
      const value = this.decode(child as Node, item, childPath);
      if (value !== undefined) out.push(value);
    });
    return out;
  }

  private object(node: Node, schema: ObjectSchema, path: string, expected = "a mapping"): Record<string, unknown> | undefined {
    if (!isMap(node)) return this.typeError(path, node, expected);
    const out: Record<string, unknown> = {};
    for (const [key, pair] of this.pairs(node, path)) {
      const fieldPath = join(path, key);
      const field = schema.fields[key];
      if (!field) {
        this.unknown.push({ path: fieldPath, line: this.lineAt(pair.key), message: "", suggestion: suggestPath(path, key, Object.keys(schema.fields)) });
        continue;
      }
      const value = this.decode(pair.value as YAMLNode, field, fieldPath);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  private anyMap(node: Node, known: Readonly<Record<string, FieldSchema>>, path: string): Record<string, unknown> | undefined {
    if (!isMap(node)) return this.typeError(path, node, "a mapping");
    const out: Record<string, unknown> = {};
    for (const [key, pair] of this.pairs(node, path)) {
      const schema = known[key] ?? { kind: "any" };
      const value = this.decode(pair.value as YAMLNode, schema, join(path, key));
      if (value !== undefined) out[key] = value;
    }
    return out;
  }

  /** The pairs of a mapping with `<<` merge keys expanded (own keys win), recording each key's line. */
  private pairs(node: YAMLMap, path: string): Map<string, Pair> {
    const out = new Map<string, Pair>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.source ?? pair.key.value) : String(pair.key);
      if (key === "<<" && isScalar(pair.key) && typeof pair.key.value === "symbol") {
        for (const source of this.mergeSources(pair.value as YAMLNode)) {
          for (const [k, p] of this.pairs(source, path)) if (!out.has(k)) out.set(k, p);
        }
        continue;
      }
      out.set(key, pair as Pair);
      this.lines.set(join(path, key), this.lineAt(pair.key) ?? 0);
    }
    return out;
  }

  private mergeSources(raw: YAMLNode): YAMLMap[] {
    const node = this.resolve(raw);
    if (isMap(node)) return [node];
    if (isSeq(node)) return node.items.map((item) => this.resolve(item as Node)).filter((item): item is YAMLMap => isMap(item));
    return [];
  }

  private record(path: string, node: YAMLNode): void {
    const line = this.lineAt(node);
    if (line !== undefined) this.lines.set(path, line);
  }
}

function suggestPath(path: string, key: string, known: readonly string[]): string | undefined {
  const match = suggest(key, known);
  return match === undefined ? undefined : join(path, match);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function describe(node: YAMLNode): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === "string") return `string ${goQuote(value)}`;
    return `${typeof value} ${String(value)}`;
  }
  return "an unsupported value";
}

/** The closest known key (case-insensitive equality or a small edit distance), for "did you mean". */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let beforePrevious = previous;
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      // an adjacent transposition (`arhc` -> `arch`) counts as one edit
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j] ?? 0, (beforePrevious[j - 2] ?? 0) + 1);
      }
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Decodes the document's root mapping against `schema` (an empty document is an empty config). */
export function decodeDocument(doc: Document, lineCounter: LineCounter, schema: ObjectSchema): Decoded {
  const decoder = new Decoder(doc, lineCounter);
  const root = doc.contents as YAMLNode;
  const isEmpty = root === null || root === undefined || (isScalar(root) && root.value === null);
  if (!isEmpty && !isMap(root)) {
    const problem = { path: "", line: decoder.lineAt(root), message: `the document must be a mapping, got ${describe(root)}` };
    return { value: {}, lines: decoder.lines, unknown: [], typeErrors: [problem] };
  }
  const value = isEmpty ? {} : ((decoder.decode(root, schema, "") as Record<string, unknown> | undefined) ?? {});
  return { value, lines: decoder.lines, unknown: decoder.unknown, typeErrors: decoder.typeErrors };
}
