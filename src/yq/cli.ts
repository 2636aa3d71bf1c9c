// `limactl yq`: the yq v4 command line over our evaluator (env access allowed).
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { Document } from "yaml";
import { YqEvalError } from "./arithmetic.js";
import { parseYamlDocuments } from "./document.js";
import { Evaluator, rootCandidate, rootOf, type Candidate } from "./evaluate.js";
import { asNode, fromJS } from "./nodes.js";
import { parseExpression } from "./parser.js";
import { ResultsPrinter } from "./printer.js";

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
  /** -C: colours even off a terminal (wins over -M and NO_COLOR). */
  forceColor: boolean;
  /** -M: no colours. */
  forceNoColor: boolean;
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
      --from-file string         Load expression from specified file.
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
  C: "forceColor", M: "forceNoColor", n: "nullInput", i: "inplace", P: "prettyPrint", e: "exitStatus", N: "noDoc", V: "version", h: "help", r: "unwrapScalar",
};
const BOOL_LONG: Record<string, keyof CliOptions> = {
  colors: "forceColor", "no-colors": "forceNoColor", "null-input": "nullInput", inplace: "inplace", prettyPrint: "prettyPrint", "exit-status": "exitStatus", "no-doc": "noDoc",
  version: "version", help: "help", unwrapScalar: "unwrapScalar", "security-disable-env-ops": "disableEnv",
  "security-disable-file-ops": "disableFile",
};
// Accepted and ignored: colours, verbosity, front-matter handling we don't implement.
const IGNORED_BOOLS = new Set(["v", "verbose", "security-enable-system-operator"]);
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
    version: false, help: false, forceColor: false, forceNoColor: false, expression: undefined, positional: [],
  };
  const setValue = (name: string, value: string): void => {
    if (name === "output-format") o.outputFormat = parseFormat(value, "output");
    else if (name === "input-format") o.inputFormat = parseFormat(value, "input");
    else if (name === "indent") {
      if (!/^\d+$/.test(value)) throw new YqEvalError(`invalid argument "${value}" for "-I, --indent" flag`);
      o.indent = Number(value);
    } else if (name === "expression") o.expression = value;
    // The boot scripts' `mode: yq` provisions pass the expression this way.
    else if (name === "from-file") o.expression = readFileSync(value, "utf8").replace(/\r\n/g, "\n");
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
      else if (["output-format", "input-format", "indent", "expression", "from-file"].includes(name)) setValue(name, takeValue(inline));
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
    const values = splitJSONStream(text);
    if (values) return values.map((value) => new Document(fromJS(value)));
    // Not a stream of JSON values: let the YAML parser (a JSON superset) try.
  }
  return parseYamlDocuments(text);
}

/** yq reads JSON input as a stream of values, one document each (`{...}\n{...}`). */
export function splitJSONStream(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (/\s/.test(ch) && depth === 0) {
      if (start >= 0 && !tryPush(values, text.slice(start, i))) return undefined;
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) {
        if (!tryPush(values, text.slice(start, i + 1))) return undefined;
        start = -1;
      }
    }
  }
  if (start >= 0 && !tryPush(values, text.slice(start))) return undefined;
  return values.length > 0 ? values : undefined;
}

function tryPush(values: unknown[], text: string): boolean {
  try {
    values.push(JSON.parse(text));
    return true;
  } catch {
    return false;
  }
}

function evaluate(o: CliOptions, expression: string, inputs: InputFile[], env: Readonly<Record<string, string | undefined>>, printer: ResultsPrinter): string[] {
  const ast = parseExpression(expression);
  const options = {
    disableEnv: o.disableEnv,
    disableFile: o.disableFile,
    env,
    readFile: (path: string) => readFileSync(path, "utf8"),
  };
  const documentOf = (r: Candidate): Document | undefined => inputs[r.fileIndex ?? 0]?.docs[r.docIndex];
  if (o.evalAll) {
    const roots = inputs.flatMap((file, fileIndex) => file.docs.map((doc, i) => rootCandidate(asNode(doc.contents, doc), i, fileIndex)));
    const results = new Evaluator(options).run(ast, roots);
    for (const root of roots) {
      const doc = documentOf(root);
      if (doc) doc.contents = rootOf(root);
    }
    return [printer.format(results, documentOf)];
  }
  return inputs.map((file, fileIndex) => {
    let out = "";
    file.docs.forEach((doc, i) => {
      const root = rootCandidate(asNode(doc.contents, doc), i, fileIndex);
      const results = new Evaluator({ ...options, doc }).run(ast, [root]);
      doc.contents = rootOf(root);
      out += printer.format(results, documentOf);
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

/** yq colours when stdout is a terminal, unless -M or NO_COLOR; -C forces colours. */
function colorsEnabled(o: CliOptions, io: YqIO): boolean {
  if (o.inplace) return false;
  if (o.forceColor) return true;
  if (o.forceNoColor || (io.env ?? process.env).NO_COLOR) return false;
  return (io.stdout as { isTTY?: boolean }).isTTY === true;
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
      // Like yq: a first argument naming an existing file is input (`.` applies), and a
      // `*.yq` file holds the expression.
      const first = positional[0];
      if (first !== undefined && first.endsWith(".yq") && isFile(first)) expression = readFileSync(positional.shift() ?? "", "utf8").replace(/\r\n/g, "\n");
      else if (first !== undefined && first !== "-" && !isFile(first)) expression = positional.shift();
      expression ??= ".";
    }
    if (o.inplace && positional.length === 0) throw new YqEvalError("write in place flag only applicable when giving an expression and at least one file");
    const inputs = await loadInputs(o, positional, io.stdin);
    const printer = new ResultsPrinter({
      format: o.outputFormat,
      indent: o.indent,
      unwrapScalar: o.unwrapScalar ?? o.outputFormat === "yaml",
      docSeparators: !o.noDoc,
      colors: colorsEnabled(o, io),
      prettyPrint: o.prettyPrint,
    });
    const outputs = evaluate(o, expression, inputs, io.env ?? process.env, printer);
    if (o.inplace) {
      // yq writes the results of every file given into the first one.
      writeFileSync(inputs[0]?.name ?? "", outputs.join(""));
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
