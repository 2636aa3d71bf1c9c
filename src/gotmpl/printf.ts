// Go fmt.Sprintf for the verbs templates use: %v %s %q %d %x %X %o %b %c %U %t %e %f %g %T %%,
// with flags (- + # 0 space), width and precision (including `*`). Wrong types and
// missing/extra operands render as Go does (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`).

import { goQuote, q } from "../util/goquote.js";
import { formatFloat, formatValue, goTypeName, kindOf, sortedEntries } from "./values.js";

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  precision?: number;
  verb: string;
}

export function sprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  let argIndex = 0;
  const takeInt = (): number | undefined => {
    const arg = args[argIndex++];
    return kindOf(arg) === "int" ? Number(arg) : undefined;
  };
  for (let i = 0; i < format.length; ) {
    const percent = format.indexOf("%", i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false, verb: "" };
    for (; i < format.length && "-+# 0".includes(format[i] as string); i++) setFlag(spec, format[i] as string);
    if (format[i] === "*") {
      i++;
      spec.width = takeInt();
      if (spec.width === undefined) out += "%!(BADWIDTH)";
      else if (spec.width < 0) {
        spec.minus = true;
        spec.width = -spec.width;
      }
    } else {
      const width = /^\d+/.exec(format.slice(i))?.[0];
      if (width !== undefined) {
        spec.width = Number(width);
        i += width.length;
      }
    }
    if (format[i] === ".") {
      i++;
      if (format[i] === "*") {
        i++;
        spec.precision = takeInt();
        if (spec.precision === undefined || spec.precision < 0) {
          out += "%!(BADPREC)";
          spec.precision = undefined;
        }
      } else {
        const precision = /^\d*/.exec(format.slice(i))?.[0] ?? "";
        spec.precision = Number(precision || "0");
        i += precision.length;
      }
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    i += verb.length;
    spec.verb = verb;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argIndex++], spec);
  }
  if (argIndex < args.length) {
    const extra = args.slice(argIndex).map((arg) => describe(arg));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}

function setFlag(spec: Spec, flag: string): void {
  if (flag === "-") {
    spec.minus = true;
    spec.zero = false;
  } else if (flag === "+") spec.plus = true;
  else if (flag === "#") spec.sharp = true;
  else if (flag === "0") spec.zero = !spec.minus;
  else spec.space = true;
}

/** `type=value` as in Go's bad-verb and EXTRA reports. */
function describe(arg: unknown): string {
  const kind = kindOf(arg);
  if (kind === "nil" || kind === "invalid") return "<nil>";
  return `${goTypeName(arg)}=${formatValue(arg)}`;
}

function badVerb(arg: unknown, verb: string): string {
  const kind = kindOf(arg);
  if (kind === "nil" || kind === "invalid") return `%!${verb}(<nil>)`;
  return `%!${verb}(${describe(arg)})`;
}

function formatArg(arg: unknown, spec: Spec): string {
  if (spec.verb === "T") return pad(goTypeName(arg), spec);
  switch (kindOf(arg)) {
    case "slice":
      return `[${(arg as unknown[]).map((item) => formatArg(item, spec)).join(" ")}]`;
    case "map":
      if (spec.verb === "v" || spec.verb === "s" || spec.verb === "d" || spec.verb === "q") {
        const entries = sortedEntries(arg as object).map(([k, v]) => `${formatArg(k, spec)}:${formatArg(v, spec)}`);
        return `map[${entries.join(" ")}]`;
      }
      return badVerb(arg, spec.verb);
    default:
      return formatScalar(arg, spec);
  }
}

function formatScalar(arg: unknown, spec: Spec): string {
  const kind = kindOf(arg);
  if (kind === "nil" || kind === "invalid") return spec.verb === "v" ? pad("<nil>", spec) : badVerb(arg, spec.verb);
  if (kind === "bool") return spec.verb === "v" || spec.verb === "t" ? pad(String(arg), spec) : badVerb(arg, spec.verb);
  if (kind === "string") return formatString(arg as string, spec);
  if (kind === "int" || kind === "float") return formatNumber(Number(arg), kind, spec);
  return spec.verb === "v" ? pad(formatValue(arg), spec) : badVerb(arg, spec.verb);
}

function truncate(s: string, precision: number | undefined): string {
  return precision === undefined ? s : [...s].slice(0, precision).join("");
}

function formatString(s: string, spec: Spec): string {
  switch (spec.verb) {
    case "v":
      return spec.sharp ? pad(goQuote(s), spec) : pad(truncate(s, spec.precision), spec);
    case "s":
      return pad(truncate(s, spec.precision), spec);
    case "q":
      return pad(spec.sharp ? q(truncate(s, spec.precision)) : goQuote(truncate(s, spec.precision)), spec);
    case "x":
    case "X": {
      const hex = Buffer.from(truncate(s, spec.precision), "utf8").toString("hex");
      return pad(spec.verb === "X" ? hex.toUpperCase() : hex, spec);
    }
  }
  return badVerb(s, spec.verb);
}

function formatNumber(n: number, kind: "int" | "float", spec: Spec): string {
  const verb = spec.verb;
  const isFloatVerb = "eEfFgG".includes(verb);
  if (kind === "float" && !isFloatVerb && verb !== "v") return badVerb(n, verb);
  if (isFloatVerb || (verb === "v" && kind === "float")) {
    const base = verb.toLowerCase() === "v" ? "g" : (verb.toLowerCase() as "e" | "f" | "g");
    const defaultPrecision = base === "g" ? -1 : 6;
    const text = formatFloat(Math.abs(n), base, spec.precision ?? defaultPrecision);
    return signed(n < 0 || Object.is(n, -0), verb === "E" || verb === "G" ? text.toUpperCase() : text, spec);
  }
  return formatInteger(n, spec);
}

function formatInteger(n: number, spec: Spec): string {
  const abs = Math.abs(n);
  switch (spec.verb) {
    case "c":
      return pad(String.fromCodePoint(abs), spec);
    case "q":
      return pad(`'${String.fromCodePoint(abs)}'`, spec);
    case "U":
      return pad(`U+${abs.toString(16).toUpperCase().padStart(4, "0")}`, spec);
  }
  const radix: Readonly<Record<string, number>> = { d: 10, v: 10, x: 16, X: 16, o: 8, O: 8, b: 2 };
  const base = radix[spec.verb];
  if (base === undefined) return badVerb(n, spec.verb);
  let digits = abs.toString(base);
  if (spec.verb === "X") digits = digits.toUpperCase();
  if (spec.precision !== undefined) digits = digits.padStart(spec.precision, "0");
  const prefixes: Readonly<Record<string, string>> = { x: "0x", X: "0X", o: "0", b: "0b" };
  if (spec.verb === "O") digits = `0o${digits}`;
  else if (spec.sharp) digits = (prefixes[spec.verb] ?? "") + digits;
  return signed(n < 0, digits, spec);
}

/** Adds the sign (or + / space flag) and pads, zero padding going between sign and digits. */
function signed(negative: boolean, digits: string, spec: Spec): string {
  const sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  if (spec.zero && !spec.minus && spec.width !== undefined) {
    return sign + digits.padStart(Math.max(spec.width - sign.length, 0), "0");
  }
  return pad(sign + digits, spec);
}

function pad(s: string, spec: Spec): string {
  const width = spec.width ?? 0;
  const length = [...s].length;
  if (length >= width) return s;
  const fill = (spec.zero ? "0" : " ").repeat(width - length);
  return spec.minus ? s + " ".repeat(width - length) : fill + s;
}
