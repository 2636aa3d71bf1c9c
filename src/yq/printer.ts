// yq's results printer and its YAML/JSON encoders: document separators, unwrapped scalars,
// indentation and colours. Shared by the yq command line and Lima's list/info/template output.
import { Document, isCollection, isScalar, visit } from "yaml";
import { colorize } from "./color.js";
import type { Candidate } from "./evaluate.js";
import { asNode, isTruthy, scalarText, toJS, type YNode } from "./nodes.js";

export type OutputFormat = "yaml" | "json";

export interface PrintOptions {
  format: OutputFormat;
  indent: number;
  /** Print scalars bare (no quotes, no comments). */
  unwrapScalar: boolean;
  /** `---` between the results of different documents (YAML only). */
  docSeparators: boolean;
  colors: boolean;
  /** `-P`: block style everywhere, plain scalars where possible. */
  prettyPrint?: boolean;
  /** Indent sequences under their key, as yq does; Lima's yamlfmt output does not. */
  indentSeq?: boolean;
}

/** Prints results the way yq's resultsPrinter does, remembering the last document across calls. */
export class ResultsPrinter {
  printedMatch = false;
  private previousDoc: string | undefined;
  constructor(private readonly o: PrintOptions) {}

  /** `documentOf` finds the parsed document a result may be the root of. */
  format(results: Candidate[], documentOf: (r: Candidate) => Document | undefined): string {
    let out = "";
    for (const r of results) {
      const docId = `${r.fileIndex ?? 0}:${r.docIndex}`;
      const changedDoc = this.previousDoc !== undefined && docId !== this.previousDoc;
      if (changedDoc && this.o.format === "yaml" && this.o.docSeparators) out += "---\n";
      // Only a file's first document carries what was written before it (comments, `---`).
      const first = this.previousDoc === undefined && r.docIndex === 0;
      this.previousDoc = docId;
      this.printedMatch ||= isTruthy(r.node);
      out += this.formatOne(r.node, documentOf(r), first);
    }
    return out;
  }

  private formatOne(node: YNode, doc: Document | undefined, first: boolean): string {
    if (this.o.prettyPrint) prettify(node);
    if (isScalar(node) && this.o.unwrapScalar) return `${scalarText(node)}\n`;
    const text = this.o.format === "json" ? encodeJSON(node, doc, this.o.indent) : this.encodeYAML(node, doc, first);
    return this.o.colors ? colorize(text) : text;
  }

  private encodeYAML(node: YNode, doc: Document | undefined, first: boolean): string {
    const options = { indent: Math.max(1, this.o.indent), indentSeq: this.o.indentSeq ?? true, lineWidth: 0, flowCollectionPadding: false };
    const isRoot = doc !== undefined && asNode(doc.contents, doc) === node;
    if (!isRoot) return new Document(node).toString(options);
    return printDocument(doc, options, first && this.o.docSeparators);
  }
}

/**
 * A whole document: only the stream's first document keeps what was written before its
 * content (comments, `---`); separators between documents are the printer's. A trailing
 * comment follows the content directly, as yq prints it.
 */
function printDocument(doc: Document, options: Parameters<Document["toString"]>[0], keepStart: boolean): string {
  const docStart = doc.directives?.docStart;
  const trailing = doc.comment;
  if (doc.directives && !keepStart) doc.directives.docStart = null;
  doc.comment = null;
  try {
    const body = doc.toString(options);
    if (!trailing) return body;
    return body + trailing.split("\n").map((line) => (line === "" ? "\n" : `#${line}\n`)).join("");
  } finally {
    if (doc.directives) doc.directives.docStart = docStart ?? null;
    doc.comment = trailing;
  }
}

export function encodeJSON(node: YNode, doc: Document | undefined, indent: number): string {
  return `${JSON.stringify(toJS(node, doc), null, indent === 0 ? undefined : indent)}\n`;
}

function prettify(node: YNode): void {
  visit(node, (_key, n) => {
    if (isCollection(n)) n.flow = false;
    if (isScalar(n) && (n.type === "QUOTE_DOUBLE" || n.type === "QUOTE_SINGLE")) n.type = "PLAIN";
  });
}
