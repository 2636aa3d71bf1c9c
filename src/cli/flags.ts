// Cobra-compatible flag handling on top of commander: boolean flags accept `--x=true|false`
// (cobra does), and positional-argument errors read as cobra prints them.
import { type Command, Option } from "commander";
import { LimaError } from "../util/errors.js";
import { useLine } from "./help.js";

const booleanFlags = new Set<string>();

/** Adds a cobra-style boolean flag: `--name`, `--name=true`, `--name=false`. Unset stays undefined. */
export function boolFlag(cmd: Command, flags: string, description: string, options: { hidden?: boolean } = {}): Command {
  const long = /--([\w-]+)/.exec(flags)?.[1];
  if (!long) throw new Error(`bad flag spec ${flags}`);
  booleanFlags.add(long);
  const opt = new Option(flags, description);
  if (options.hidden) opt.hideHelp();
  cmd.addOption(opt);
  cmd.addOption(new Option(`--no-${long}`).hideHelp());
  return cmd;
}

/** Rewrites `--flag=true|false` of boolean flags into what commander understands. */
export function normalizeBooleanArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg === "--") {
      passthrough = true;
      out.push(arg);
      continue;
    }
    const m = /^--([\w-]+)=(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.exec(arg);
    if (m?.[1] && booleanFlags.has(m[1])) {
      const on = ["true", "1", "t", "TRUE", "True"].includes(m[2] ?? "");
      out.push(on ? `--${m[1]}` : `--no-${m[1]}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** `limactl template copy`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** cobra's UseLine of a runnable command; commander's default usage (no `.usage()` given) means no arguments. */
export function commandUseLine(cmd: Command): string {
  const use = cmd.usage().startsWith("[options]") ? "" : cmd.usage();
  const hasFlags = cmd.options.some((o) => !o.hidden);
  return useLine(commandPath(cmd), use, hasFlags);
}

function argsError(cmd: Command, message: string): LimaError {
  const path = commandPath(cmd);
  return new LimaError(`\`${path}\` ${message}.\nSee \`${path} --help\`.\n\nUsage:  ${commandUseLine(cmd)}\n\n${cmd.summary() || cmd.description()}`);
}

/** Cobra's positional-argument checks with cobra's messages. */
export function checkArgs(cmd: Command, args: readonly string[], min: number, max = Number.POSITIVE_INFINITY): void {
  const n = args.length;
  if (min === max && n !== min) throw argsError(cmd, `accepts ${min} arg(s), received ${n}`);
  if (max === Number.POSITIVE_INFINITY && n < min) throw argsError(cmd, `requires at least ${min} arg(s), only received ${n}`);
  if (min === 0 && n > max) throw argsError(cmd, `accepts at most ${max} arg(s), received ${n}`);
  if (n < min || n > max) throw argsError(cmd, `accepts between ${min} and ${max} arg(s), received ${n}`);
}

/** Cobra's `Flags().Changed(name)`: the user gave the flag on the command line. */
export function flagChanged(cmd: Command, attr: string): boolean {
  const source = cmd.getOptionValueSource(attr);
  return source === "cli" || source === "env";
}
