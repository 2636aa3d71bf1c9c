// Document-level plumbing shared by the library API and the CLI.
import { Document, parseAllDocuments, type DocumentOptions, type ParseOptions, type SchemaOptions } from "yaml";
import { YqEvalError } from "./arithmetic.js";

type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

const PARSE_OPTIONS: YamlOptions = { version: "1.2", uniqueKeys: false, prettyErrors: false };

/** All documents of a YAML stream; an empty stream is one empty document. */
export function parseYamlDocuments(text: string): Document[] {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  if (!Array.isArray(docs)) return [new Document(null)];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new YqEvalError(`yaml: ${error.message.split("\n")[0] ?? error.message}`);
  }
  return docs.length > 0 ? docs : [new Document(null)];
}
