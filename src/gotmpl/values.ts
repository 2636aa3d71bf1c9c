// The JS-value view of Go's reflect kinds used by templates, plus Go's `%v` rendering.
//
// Mapping: undefined = Go's invalid value ("no value"), null = nil, number = int when
// integral else float64, arrays = slices, Map instances and plain objects = maps
// (structs only via the caller's field resolver, see exec.ts), functions = funcs.

export type GoKind = "invalid" | "nil" | "bool" | "int" | "float" | "string" | "slice" | "map" | "func";

export function kindOf(value: unknown): GoKind {
  if (value === undefined) return "invalid";
  if (value === null) return "nil";
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "string";
    case "function":
      return "func";
  }
  return Array.isArray(value) ? "slice" : "map";
}

/** Go type name of a value, as `%T` and error messages print it. */
export function goTypeName(value: unknown): string {
  switch (kindOf(value)) {
    case "invalid":
    case "nil":
      return "<nil>";
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "float":
      return "float64";
    case "string":
      return "string";
    case "slice":
      return "[]interface {}";
    case "map":
      return "map[string]interface {}";
    case "func":
      return "func(...interface {}) interface {}";
  }
}

/** Entries of a map-like value (Map or plain object), sorted by key as Go's fmtsort does. */
export function sortedEntries(value: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] =
    value instanceof Map ? [...value.entries()] : Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const left = String(a);
  const right = String(b);
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

export function mapSize(value: object): number {
  return value instanceof Map ? value.size : Object.keys(value).length;
}

/** Go's notion of truth used by if, with, and, or, not. */
export function isTrue(value: unknown): boolean {
  switch (kindOf(value)) {
    case "invalid":
    case "nil":
      return false;
    case "bool":
      return value === true;
    case "int":
    case "float":
      return Number(value) !== 0;
    case "string":
    case "slice":
      return (value as string | unknown[]).length > 0;
    case "map":
      return mapSize(value as object) > 0;
    case "func":
      return true;
  }
}

/** Go `%v` (fmt.Sprint of one operand). */
export function formatValue(value: unknown): string {
  switch (kindOf(value)) {
    case "invalid":
    case "nil":
      return "<nil>";
    case "float":
      return formatFloat(value as number, "g", -1);
    case "slice":
      return `[${(value as unknown[]).map(formatValue).join(" ")}]`;
    case "map":
      return `map[${sortedEntries(value as object)
        .map(([k, v]) => `${formatValue(k)}:${formatValue(v)}`)
        .join(" ")}]`;
    case "func":
      return "<func>";
    default:
      return String(value);
  }
}

/** Go fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = "";
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(arg);
  });
  return out;
}

export function sprintln(args: readonly unknown[]): string {
  return `${args.map(formatValue).join(" ")}\n`;
}

// Floating point, following strconv.FormatFloat's 'e', 'f' and 'g' formats. Explicit
// precisions round the exact binary value half-to-even, as Go does (JS's toFixed rounds ties up).

interface Decimal {
  /** Significant digits without leading or trailing zeros ("0" for zero). */
  digits: string;
  /** Position of the decimal point relative to the digits: value = 0.digits × 10^dp. */
  dp: number;
}

/** The exact decimal expansion of a finite non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: "0", dp: 1 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  const scaled = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa * 5n ** BigInt(-exponent);
  const text = scaled.toString();
  const dp = text.length + Math.min(exponent, 0);
  return trimDecimal({ digits: text, dp });
}

function trimDecimal(d: Decimal): Decimal {
  const leading = d.digits.length - d.digits.replace(/^0+/, "").length;
  const digits = d.digits.slice(leading).replace(/0+$/, "");
  return digits === "" ? { digits: "0", dp: 1 } : { digits, dp: d.dp - leading };
}

/** Rounds to `keep` significant digits, ties to even. */
function roundDecimal(d: Decimal, keep: number): Decimal {
  if (keep < 0) return { digits: "0", dp: 1 };
  if (d.digits.length <= keep) return d;
  const next = d.digits[keep] as string;
  const rest = d.digits.slice(keep + 1);
  const previousOdd = keep > 0 && Number(d.digits[keep - 1]) % 2 === 1;
  const up = next > "5" || (next === "5" && (/[1-9]/.test(rest) || previousOdd));
  const kept = d.digits.slice(0, keep);
  if (!up) return trimDecimal({ digits: kept || "0", dp: kept ? d.dp : 1 });
  const incremented = (BigInt(kept || "0") + 1n).toString();
  const carry = incremented.length - kept.length;
  return trimDecimal({ digits: incremented, dp: d.dp + carry });
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { digits: "0", dp: 1 };
  const [mantissa, exponent] = x.toExponential().split("e");
  return trimDecimal({ digits: (mantissa ?? "0").replace(".", ""), dp: Number(exponent) + 1 });
}

function formatE(d: Decimal, prec: number): string {
  const digits = d.digits.padEnd(prec + 1, "0");
  const exp = d.digits === "0" ? 0 : d.dp - 1;
  const mantissa = prec > 0 ? `${digits[0]}.${digits.slice(1, prec + 1)}` : (digits[0] as string);
  const expDigits = String(Math.abs(exp)).padStart(2, "0");
  return `${mantissa}e${exp < 0 ? "-" : "+"}${expDigits}`;
}

function formatF(d: Decimal, prec: number): string {
  const integerDigits = Math.max(d.dp, 0);
  const all = "0".repeat(Math.max(-d.dp, 0)) + d.digits.padEnd(integerDigits + prec, "0");
  const padded = d.dp <= 0 ? `0${all}` : all;
  const pointAt = Math.max(d.dp, 1);
  const integer = padded.slice(0, pointAt);
  const fractionDigits = padded.slice(pointAt, pointAt + prec);
  return prec > 0 ? `${integer}.${fractionDigits}` : integer;
}

export function formatFloat(x: number, verb: "e" | "f" | "g", prec: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const abs = Math.abs(x);
  const shortest = prec < 0;
  if (verb === "e") {
    const d = shortest ? shortestDecimal(abs) : roundDecimal(exactDecimal(abs), prec + 1);
    return sign + formatE(d, shortest ? d.digits.length - 1 : prec);
  }
  if (verb === "f") {
    const exact = exactDecimal(abs);
    const d = shortest ? shortestDecimal(abs) : roundDecimal(exact, exact.dp + prec);
    return sign + formatF(d, shortest ? Math.max(d.digits.length - d.dp, 0) : prec);
  }
  return sign + formatG(abs, prec);
}

function formatG(abs: number, prec: number): string {
  const shortest = prec < 0;
  const precision = prec === 0 ? 1 : prec;
  const d = shortest ? shortestDecimal(abs) : roundDecimal(exactDecimal(abs), precision);
  let eprec = shortest ? 6 : precision;
  if (!shortest && eprec > d.digits.length && d.digits.length >= d.dp) eprec = d.digits.length;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) {
    const mantissaDigits = shortest ? d.digits.length : Math.min(precision, d.digits.length);
    return formatE(d, mantissaDigits - 1);
  }
  const fractionDigits = shortest || precision > d.dp ? d.digits.length - d.dp : precision - d.dp;
  return formatF(d, Math.max(fractionDigits, 0));
}
