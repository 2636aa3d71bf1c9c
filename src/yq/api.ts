// Lima's restricted entry points (`--set`, edit flags, `list --filter/--yq`).
import { Document } from "yaml";
import { parseYamlDocuments } from "./document.js";
import { Evaluator, rootCandidate, rootOf, type EvalOptions } from "./evaluate.js";
import { LIMA_STRINGIFY, printPreservingSource } from "./format.js";
import { asNode, fromJS, toJS } from "./nodes.js";
import { parseExpression } from "./parser.js";
import { ResultsPrinter, type PrintOptions } from "./printer.js";

function restrictedOptions(doc?: Document): EvalOptions {
  return {
    disableEnv: true,
    disableFile: true,
    env: {},
    readFile: () => "",
    ...(doc ? { doc } : {}),
  };
}

/**
 * Lima's `yqutil.EvaluateExpression`: applies `expression` to every document of `yamlText`
 * and returns the new text (2-space indent, indentless sequences), keeping comments,
 * blank lines and the spelling of untouched lines. Env and file operators are disabled.
 */
export function evaluateExpression(expression: string, yamlText: string): string {
  if (expression === "") return yamlText;
  const ast = parseExpression(expression);
  const docs = parseYamlDocuments(yamlText);
  const others: string[] = [];
  let onlyRoots = true;
  docs.forEach((doc, index) => {
    const root = rootCandidate(asNode(doc.contents, doc), index);
    const results = new Evaluator(restrictedOptions(doc)).run(ast, [root]);
    doc.contents = rootOf(root);
    if (results.length !== 1 || results[0] !== root) onlyRoots = false;
    for (const r of results) others.push(new Document(r.node).toString(LIMA_STRINGIFY));
  });
  if (onlyRoots) return printPreservingSource(yamlText, docs);
  return others.join("");
}

/** Evaluates `expression` on a plain JSON-like value; returns the output values. */
export function evaluateJSON(expression: string, value: unknown): unknown[] {
  const ast = parseExpression(expression);
  const plain: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value));
  const root = rootCandidate(fromJS(plain));
  return new Evaluator(restrictedOptions()).run(ast, [root]).map((r) => toJS(r.node));
}

/**
 * Lima's `yqutil.EvaluateExpressionWithEncoder`: runs `expression` once over all documents of
 * `content` (env and file operators disabled) and prints the results with yq's printer and
 * the given encoder settings. An empty expression returns `content` unchanged.
 */
export function evaluateWithEncoder(expression: string, content: string, print: PrintOptions): string {
  if (expression === "") return content;
  // No documents, no results (Lima evaluates the empty output of an earlier expression).
  if (content.trim() === "") return "";
  const ast = parseExpression(expression);
  const docs = parseYamlDocuments(content);
  const roots = docs.map((doc, i) => rootCandidate(asNode(doc.contents, doc), i));
  const results = new Evaluator(restrictedOptions(docs.length === 1 ? docs[0] : undefined)).run(ast, roots);
  roots.forEach((root, i) => {
    const doc = docs[i];
    if (doc) doc.contents = rootOf(root);
  });
  return new ResultsPrinter(print).format(results, (r) => docs[r.docIndex]);
}
