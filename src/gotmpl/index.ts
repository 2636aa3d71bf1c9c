// Go text/template compatible renderer: parse once, execute against plain JS data.

import { BUILTINS, type FuncMap, SHORT_CIRCUIT_BUILTINS } from "./builtins.js";
import { type ExecuteOptions, type Program, executeTree } from "./exec.js";
import { parse } from "./parser.js";

export type { FuncMap, TemplateFunc } from "./builtins.js";
export { TemplateError } from "./errors.js";
export type { ExecuteOptions, FieldLookup, FieldResolver, MissingKeyMode } from "./exec.js";
export { formatValue } from "./values.js";
export { sprintf } from "./printf.js";

export class Template {
  constructor(
    readonly name: string,
    private readonly program: Program,
    private readonly defaults: ExecuteOptions,
  ) {}

  /** Renders the template; throws TemplateError with Go's message on failure. */
  execute(data: unknown, options: ExecuteOptions = {}): string {
    const root = this.program.trees.get(this.name);
    if (root === undefined) return "";
    return executeTree(this.program, this.name, root, data, { ...this.defaults, ...options });
  }

  /** Names of all templates in this set (the main one, {{define}}s and {{block}}s), sorted. */
  templateNames(): string[] {
    return [...this.program.trees.keys()].sort();
  }
}

/** Parses `text` as template `name`; `funcs` add to (and override) Go's builtins, as Template.Funcs does. */
export function parseTemplate(name: string, text: string, funcs: FuncMap = {}, defaults: ExecuteOptions = {}): Template {
  const hasFunction = (fn: string): boolean =>
    Object.hasOwn(funcs, fn) || BUILTINS.has(fn) || SHORT_CIRCUIT_BUILTINS.has(fn);
  const { trees } = parse(name, text, hasFunction);
  return new Template(name, { parseName: name, text, trees, funcs }, defaults);
}

export interface ExecuteTemplateOptions extends ExecuteOptions {
  /** Template name used in error messages; Lima's textutil uses "" and `limactl list` uses "format". */
  name?: string;
  funcs?: FuncMap;
}

export function executeTemplate(text: string, data: unknown, options: ExecuteTemplateOptions = {}): string {
  const { name = "", funcs, ...execOptions } = options;
  return parseTemplate(name, text, funcs).execute(data, execOptions);
}
