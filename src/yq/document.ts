// Document-level plumbing shared by the library API and the CLI.
import { Document, LineCounter, parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions } from "yaml";
import type { YNode } from "./nodes.js";
import { YqEvalError } from "./arithmetic.js";

type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

const PARSE_OPTIONS: YamlOptions = { version: "1.2", uniqueKeys: false, prettyErrors: false };

/** All documents of a YAML stream; an empty stream is one empty document. */
export function parseYamlDocuments(text: string): Document[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter });
  if (!Array.isArray(docs)) return [new Document(null)];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new YqEvalError(`yaml: ${error.message.split("\n")[0] ?? error.message}`);
    LINE_COUNTERS.set(doc, lineCounter);
  }
  return docs.length > 0 ? docs : [new Document(null)];
}

/** Where each parsed document's lines start, for yq's `line` and `column`. */
const LINE_COUNTERS = new WeakMap<Document, LineCounter>();

/** 1-based line and column of a node as parsed; undefined for nodes made by expressions. */
export function lineAndColumn(doc: Document | undefined, node: YNode): { line: number; col: number } | undefined {
  const counter = doc ? LINE_COUNTERS.get(doc) : undefined;
  const start = node.range?.[0];
  if (!counter || start === undefined) return undefined;
  return counter.linePos(start);
}
