// `limactl yq`: the yq v4 command line over our evaluator (env access allowed).
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { Document, isCollection, isScalar, visit } from "yaml";
import { YqEvalError } from "./arithmetic.js";
import { parseYamlDocuments } from "./document.js";
import { Evaluator, rootCandidate, rootOf, type Candidate } from "./evaluate.js";
import { asNode, fromJS, isTruthy, scalarText, toJS, type YNode } from "./nodes.js";
import { parseExpression } from "./parser.js";

export const YQ_VERSION = "v4.53.3";

export interface YqIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Format = "yaml" | "json";

interface CliOptions {
  evalAll: boolean;
  nullInput: boolean;
  outputFormat: Format;
  inputFormat: Format;
  indent: number;
  unwrapScalar: boolean | undefined;
  inplace: boolean;
  prettyPrint: boolean;
  exitStatus: boolean;
  noDoc: boolean;
  disableEnv: boolean;
  disableFile: boolean;
  version: boolean;
  help: boolean;
  expression: string | undefined;
  positional: string[];
}

const HELP = `Usage:
  yq [flags]
  yq [command]

Available Commands:
  eval        (default) Apply the expression to each document in each yaml file in sequence
  eval-all    Loads _all_ yaml documents of _all_ yaml files and runs expression once

Flags:
  -e, --exit-status              set exit status if there are no matches or null or false is returned
  -h, --help                     help for yq
  -I, --indent int               sets indent level for output (default 2)
  -i, --inplace                  update the file in place of first file given.
  -p, --input-format string      [yaml|y|json|j] parse format for input. (default "yaml")
  -n, --null-input               Don't read input, simply evaluate the expression given.
  -o, --output-format string     [yaml|y|json|j] output format type. (default "yaml")
  -P, --prettyPrint              pretty print, shorthand for '... style = ""'
  -r, --unwrapScalar             unwrap scalar, print the value with no quotes, colours or comments.
  -j, --tojson                   (deprecated) Use -o=json instead
  -N, --no-doc                   Don't print document separators (---)
  -V, --version                  Print version information and quit
`;

const BOOL_SHORT: Record<string, keyof CliOptions> = {
  n: "nullInput", i: "inplace", P: "prettyPrint", e: "exitStatus", N: "noDoc", V: "version", h: "help", r: "unwrapScalar",
};
const BOOL_LONG: Record<string, keyof CliOptions> = {
  "null-input": "nullInput", inplace: "inplace", prettyPrint: "prettyPrint", "exit-status": "exitStatus", "no-doc": "noDoc",
  version: "version", help: "help", unwrapScalar: "unwrapScalar", "security-disable-env-ops": "disableEnv",
  "security-disable-file-ops": "disableFile",
};
// Accepted and ignored: colours, verbosity, front-matter handling we don't implement.
const IGNORED_BOOLS = new Set(["M", "C", "v", "no-colors", "colors", "verbose", "security-enable-system-operator"]);
const VALUE_SHORT: Record<string, string> = { o: "output-format", p: "input-format", I: "indent" };

function parseFormat(value: string, flag: string): Format {
  if (value === "yaml" || value === "y" || value === "yml") return "yaml";
  if (value === "json" || value === "j") return "json";
  throw new YqEvalError(`unknown ${flag} format: ${value}`);
}

function parseArgs(args: string[]): CliOptions {
  const o: CliOptions = {
    evalAll: false, nullInput: false, outputFormat: "yaml", inputFormat: "yaml", indent: 2, unwrapScalar: undefined,
    inplace: false, prettyPrint: false, exitStatus: false, noDoc: false, disableEnv: false, disableFile: false,
    version: false, help: false, expression: undefined, positional: [],
  };
  const setValue = (name: string, value: string): void => {
    if (name === "output-format") o.outputFormat = parseFormat(value, "output");
    else if (name === "input-format") o.inputFormat = parseFormat(value, "input");
    else if (name === "indent") {
      if (!/^\d+$/.test(value)) throw new YqEvalError(`invalid argument "${value}" for "-I, --indent" flag`);
      o.indent = Number(value);
    } else if (name === "expression") o.expression = value;
  };
  const flags = o as unknown as Record<string, unknown>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const takeValue = (inline: string | undefined): string => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined) throw new YqEvalError(`flag needs an argument: ${arg}`);
      return next;
    };
    if (arg === "--") {
      o.positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const [name = "", inline] = splitOnce(arg.slice(2), "=");
      if (name in BOOL_LONG) flags[BOOL_LONG[name] as string] = inline === undefined ? true : inline === "true";
      else if (name === "tojson") o.outputFormat = "json";
      else if (IGNORED_BOOLS.has(name)) continue;
      else if (["output-format", "input-format", "indent", "expression"].includes(name)) setValue(name, takeValue(inline));
      else throw new YqEvalError(`unknown flag: --${name}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let k = 1; k < arg.length; k++) {
        const letter = arg[k] ?? "";
        const valueName = VALUE_SHORT[letter];
        if (valueName !== undefined) {
          const rest = arg.slice(k + 1).replace(/^=/, "");
          setValue(valueName, takeValue(rest === "" ? undefined : rest));
          break;
        }
        if (letter === "j") o.outputFormat = "json";
        else if (letter in BOOL_SHORT) flags[BOOL_SHORT[letter] as string] = true;
        else if (!IGNORED_BOOLS.has(letter)) throw new YqEvalError(`unknown shorthand flag: '${letter}' in ${arg}`);
      }
      continue;
    }
    o.positional.push(arg);
  }
  return o;
}

function splitOnce(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + sep.length)];
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

interface InputFile {
  name: string;
  docs: Document[];
}

function parseInput(text: string, format: Format): Document[] {
  if (format === "json") {
    try {
      return [new Document(fromJS(JSON.parse(text)))];
    } catch {
      // Not a single JSON value: let the YAML parser (a JSON superset) try.
    }
  }
  return parseYamlDocuments(text);
}

/** `-P`: block style everywhere, plain scalars where possible. */
function prettify(node: YNode): void {
  visit(node, (_key, n) => {
    if (isCollection(n)) n.flow = false;
    if (isScalar(n) && (n.type === "QUOTE_DOUBLE" || n.type === "QUOTE_SINGLE")) n.type = "PLAIN";
  });
}

class Printer {
  printedMatch = false;
  private previousDoc: number | undefined;
  constructor(private readonly o: CliOptions) {}

  format(results: Candidate[], docs: Document[]): string {
    let out = "";
    for (const r of results) {
      if (this.o.outputFormat === "yaml" && !this.o.noDoc && this.previousDoc !== undefined && r.docIndex !== this.previousDoc) out += "---\n";
      this.previousDoc = r.docIndex;
      this.printedMatch ||= isTruthy(r.node);
      out += this.formatOne(r.node, docs[r.docIndex]);
    }
    return out;
  }

  private formatOne(node: YNode, doc: Document | undefined): string {
    const unwrap = this.o.unwrapScalar ?? this.o.outputFormat === "yaml";
    if (this.o.prettyPrint) prettify(node);
    if (isScalar(node) && unwrap && (this.o.outputFormat === "yaml" || typeof node.value === "string")) {
      return `${scalarText(node)}\n`;
    }
    if (this.o.outputFormat === "json") {
      const text = JSON.stringify(toJS(node, doc), null, this.o.indent === 0 ? undefined : this.o.indent);
      return `${text}\n`;
    }
    const options = { indent: Math.max(1, this.o.indent), indentSeq: true, lineWidth: 0, flowCollectionPadding: false };
    const isRoot = doc !== undefined && asNode(doc.contents, doc) === node;
    if (!isRoot) return new Document(node).toString(options);
    // Separators are ours to print (between documents), not the source's.
    if (doc.directives) doc.directives.docStart = null;
    return doc.toString(options);
  }
}

function evaluate(o: CliOptions, expression: string, inputs: InputFile[], env: Readonly<Record<string, string | undefined>>, printer: Printer): string[] {
  const ast = parseExpression(expression);
  const options = {
    disableEnv: o.disableEnv,
    disableFile: o.disableFile,
    env,
    readFile: (path: string) => readFileSync(path, "utf8"),
  };
  if (o.evalAll) {
    const docs = inputs.flatMap((f) => f.docs);
    const roots = docs.map((doc, i) => rootCandidate(asNode(doc.contents, doc), i));
    const results = new Evaluator(options).run(ast, roots);
    roots.forEach((root, i) => {
      const doc = docs[i];
      if (doc) doc.contents = rootOf(root);
    });
    return [printer.format(results, docs)];
  }
  return inputs.map((file) => {
    let out = "";
    file.docs.forEach((doc, i) => {
      const root = rootCandidate(asNode(doc.contents, doc), i);
      const results = new Evaluator({ ...options, doc }).run(ast, [root]);
      doc.contents = rootOf(root);
      out += printer.format(results, file.docs);
    });
    return out;
  });
}

async function loadInputs(o: CliOptions, files: string[], stdin: NodeJS.ReadableStream): Promise<InputFile[]> {
  if (o.nullInput) return [{ name: "", docs: [new Document(null)] }];
  const names = files.length === 0 ? ["-"] : files;
  const inputs: InputFile[] = [];
  for (const name of names) {
    const text = name === "-" ? await readAll(stdin) : readFileSync(name, "utf8");
    try {
      inputs.push({ name, docs: parseInput(text, o.inputFormat) });
    } catch (err) {
      throw new YqEvalError(`bad file '${name}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return inputs;
}

function isFile(path: string | undefined): boolean {
  return path !== undefined && (statSync(path, { throwIfNoEntry: false })?.isFile() ?? false);
}

/** Runs the yq command line; resolves to the exit code. */
export async function runYqCLI(args: string[], io: YqIO): Promise<number> {
  try {
    const o = parseArgs(args);
    if (o.version) {
      io.stdout.write(`yq (https://github.com/mikefarah/yq/) version ${YQ_VERSION}\n`);
      return 0;
    }
    if (o.help) {
      io.stdout.write(HELP);
      return 0;
    }
    const positional = [...o.positional];
    const command = positional[0];
    if (command === "eval" || command === "e" || command === "eval-all" || command === "ea") {
      positional.shift();
      o.evalAll = command === "eval-all" || command === "ea";
    }
    let expression = o.expression;
    if (expression === undefined) {
      // Like yq, a lone argument naming an existing file means `.` on that file.
      const loneFile = positional.length === 1 && !o.nullInput && isFile(positional[0]);
      expression = loneFile ? "." : positional.shift() ?? ".";
    }
    if (o.inplace && positional.length === 0) throw new YqEvalError("write in place flag only applicable when giving an expression and at least one file");
    const inputs = await loadInputs(o, positional, io.stdin);
    const printer = new Printer(o);
    const outputs = evaluate(o, expression, inputs, io.env ?? process.env, printer);
    if (o.inplace) {
      inputs.forEach((file, i) => writeFileSync(file.name, outputs[i] ?? ""));
    } else {
      for (const out of outputs) io.stdout.write(out);
    }
    if (o.exitStatus && !printer.printedMatch) throw new YqEvalError("no matches found");
    return 0;
  } catch (err) {
    io.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
