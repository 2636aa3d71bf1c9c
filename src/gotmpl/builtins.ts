// Go text/template's predefined functions. `and`/`or` short-circuit, so exec.ts evaluates
// them itself; the others receive evaluated arguments (Go nil = null) and throw FuncError,
// which execution reports as `error calling NAME: MESSAGE`.

import { sprintf } from "./printf.js";
import { formatValue, goTypeName, isTrue, kindOf, mapSize, sprint, sprintln } from "./values.js";

export type TemplateFunc = (...args: unknown[]) => unknown;
export type FuncMap = Record<string, TemplateFunc>;

class FuncError extends Error {}

/** Argument counts: `exact`, or at least `min` for variadic functions. */
export interface Arity {
  min: number;
  exact?: boolean;
}

export interface Builtin {
  arity: Arity;
  fn: TemplateFunc;
}

/** The value an absent map element reads as (Lima's maps are map[string]string). */
export const MAP_ZERO_VALUE = "";

type BasicKind = "bool" | "number" | "string";

function basicKind(value: unknown): BasicKind | undefined {
  const kind = kindOf(value);
  if (kind === "int" || kind === "float") return "number";
  if (kind === "bool" || kind === "string") return kind;
  return undefined;
}

function isNil(value: unknown): boolean {
  return value === null || value === undefined;
}

function eq(arg1: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new FuncError("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    if (isNil(arg1) || isNil(arg)) {
      if (isNil(arg1) && isNil(arg)) return true;
      continue;
    }
    const k2 = basicKind(arg);
    if (k1 === undefined || k2 === undefined) {
      const bad = k1 === undefined ? arg1 : arg;
      throw new FuncError(`non-comparable type ${formatValue(bad)}: ${goTypeName(bad)}`);
    }
    if (k1 !== k2) throw new FuncError("incompatible types for comparison");
    if (arg1 === arg) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  const k2 = basicKind(arg2);
  if (k1 === undefined || k2 === undefined) throw new FuncError("invalid type for comparison");
  if (k1 !== k2) throw new FuncError("incompatible types for comparison");
  if (k1 === "bool") throw new FuncError("invalid type for comparison");
  return (arg1 as number | string) < (arg2 as number | string);
}

function le(arg1: unknown, arg2: unknown): boolean {
  return lt(arg1, arg2) || eq(arg1, arg2);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case "nil":
    case "invalid":
      throw new FuncError("len of nil pointer");
    case "string":
      return Buffer.byteLength(item as string, "utf8");
    case "slice":
      return (item as unknown[]).length;
    case "map":
      return mapSize(item as object);
    default:
      throw new FuncError(`len of type ${goTypeName(item)}`);
  }
}

function indexArg(index: unknown, cap: number): number {
  if (isNil(index)) throw new FuncError("cannot index slice/array with nil");
  if (kindOf(index) !== "int") throw new FuncError(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x >= cap) throw new FuncError(`index out of range: ${x}`);
  return x;
}

function mapLookup(map: object, key: unknown): unknown {
  if (map instanceof Map) return map.has(key) ? map.get(key) : MAP_ZERO_VALUE;
  if (typeof key !== "string") throw new FuncError(`value has type ${goTypeName(key)}; should be string`);
  const value = Object.hasOwn(map, key) ? (map as Record<string, unknown>)[key] : undefined;
  return value === undefined ? MAP_ZERO_VALUE : value;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new FuncError("index of untyped nil");
  let current = item;
  for (const key of indexes) {
    switch (kindOf(current)) {
      case "nil":
        throw new FuncError("index of nil pointer");
      case "slice":
        current = (current as unknown[])[indexArg(key, (current as unknown[]).length)];
        break;
      case "string": {
        const bytes = Buffer.from(current as string, "utf8");
        current = bytes[indexArg(key, bytes.length)];
        break;
      }
      case "map":
        current = mapLookup(current as object, key);
        break;
      default:
        throw new FuncError(`can't index item of type ${goTypeName(current)}`);
    }
  }
  return current;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (isNil(item)) throw new FuncError("slice of untyped nil");
  if (indexes.length > 2) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  const kind = kindOf(item);
  if (kind !== "string" && kind !== "slice") throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
  const bytes = kind === "string" ? Buffer.from(item as string, "utf8") : undefined;
  const size = bytes ? bytes.length : (item as unknown[]).length;
  const bounds = indexes.map((i) => indexArg(i, size + 1));
  const start = bounds[0] ?? 0;
  const end = bounds[1] ?? size;
  if (start > end) throw new FuncError(`invalid slice index: ${start} > ${end}`);
  return bytes ? bytes.subarray(start, end).toString("utf8") : (item as unknown[]).slice(start, end);
}

/** fmt.Sprint of the arguments, except that a lone string passes through and nil reads "<no value>". */
function evalArgs(args: readonly unknown[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((arg) => (isNil(arg) ? "<no value>" : arg)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\0": "\uFFFD",
};

function htmlEscape(...args: unknown[]): string {
  return evalArgs(args).replace(/["'&<>\0]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

function jsEscape(...args: unknown[]): string {
  const hex = (code: number, digits: number): string => code.toString(16).toUpperCase().padStart(digits, "0");
  let out = "";
  for (const ch of evalArgs(args)) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\" || ch === "'" || ch === '"') out += `\\${ch}`;
    else if ("<>&=".includes(ch) || code < 0x20) out += `\\u${hex(code, 4)}`;
    else if (code >= 0x80 && !/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch)) out += `\\u${hex(code, 4)}`;
    else out += ch;
  }
  return out;
}

function urlQueryEscape(...args: unknown[]): string {
  let out = "";
  for (const byte of Buffer.from(evalArgs(args), "utf8")) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (isNil(fn)) throw new FuncError("call of nil");
  if (typeof fn !== "function") throw new FuncError(`non-function of type ${goTypeName(fn)}`);
  return (fn as TemplateFunc)(...args);
}

function printf(format: unknown, ...args: unknown[]): string {
  if (typeof format !== "string") throw new FuncError(`wrong type for value; expected string; got ${goTypeName(format)}`);
  return sprintf(format, args);
}

/** `and`/`or` evaluate their arguments lazily, so execution implements them directly. */
export const SHORT_CIRCUIT_BUILTINS: ReadonlySet<string> = new Set(["and", "or"]);

const exactly = (n: number): Arity => ({ min: n, exact: true });
const atLeast = (n: number): Arity => ({ min: n });

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["not", { arity: exactly(1), fn: (x) => !isTrue(x) }],
  ["len", { arity: exactly(1), fn: length }],
  ["index", { arity: atLeast(1), fn: index }],
  ["slice", { arity: atLeast(1), fn: slice }],
  ["print", { arity: atLeast(0), fn: (...args) => sprint(args) }],
  ["printf", { arity: atLeast(1), fn: printf }],
  ["println", { arity: atLeast(0), fn: (...args) => sprintln(args) }],
  ["html", { arity: atLeast(0), fn: htmlEscape }],
  ["js", { arity: atLeast(0), fn: jsEscape }],
  ["urlquery", { arity: atLeast(0), fn: urlQueryEscape }],
  ["call", { arity: atLeast(1), fn: call }],
  ["eq", { arity: atLeast(1), fn: eq }],
  ["ne", { arity: exactly(2), fn: (a, b) => !eq(a, b) }],
  ["lt", { arity: exactly(2), fn: lt }],
  ["le", { arity: exactly(2), fn: le }],
  ["gt", { arity: exactly(2), fn: (a, b) => !le(a, b) }],
  ["ge", { arity: exactly(2), fn: (a, b) => !lt(a, b) }],
]);
