// Command-line flags the way Go's pflag (cobra) reads them: `--name value`, `--name=value`, and
// for booleans `--name` or `--name=false` (the boot script passes `--debug=false`).
export type FlagKind = "string" | "int" | "bool";

export interface FlagSpec {
  kind: FlagKind;
  default: string | number | boolean;
}

export type FlagValues = Record<string, string | number | boolean>;

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

function convert(name: string, kind: FlagKind, raw: string): string | number | boolean {
  if (kind === "string") return raw;
  if (kind === "bool") {
    if (TRUE.has(raw)) return true;
    if (FALSE.has(raw)) return false;
    throw new Error(`invalid argument ${JSON.stringify(raw)} for "--${name}" flag: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
  }
  if (!/^[+-]?\d+$/.test(raw)) {
    throw new Error(`invalid argument ${JSON.stringify(raw)} for "--${name}" flag: strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
  }
  return Number(raw);
}

/** Parses `args` against `specs`; returns the values (defaults filled) and the positional arguments. */
export function parseFlags(args: string[], specs: Record<string, FlagSpec>): { values: FlagValues; positional: string[] } {
  const values: FlagValues = Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, spec.default]));
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = specs[name];
    if (!spec) throw new Error(`unknown flag: --${name}`);
    let raw: string;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else if (spec.kind === "bool") raw = "true";
    else {
      if (i + 1 >= args.length) throw new Error(`flag needs an argument: --${name}`);
      raw = args[++i] ?? "";
    }
    values[name] = convert(name, spec.kind, raw);
  }
  return { values, positional };
}
