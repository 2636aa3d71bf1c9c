// Global (persistent) flags. Cobra accepts them before or after the sub-command; commander only
// parses a command's own options, so every command gets a copy and both places are merged.
import type { Command } from "commander";
import { configureLogger, type LogFormat, logger, parseLevel } from "../log/logger.js";
import { q } from "../util/goquote.js";
import { LimaError } from "../util/errors.js";
import { boolFlag } from "./flags.js";

export interface GlobalOptions {
  debug: boolean;
  tty: boolean;
  yes: boolean;
}

let current: GlobalOptions = { debug: false, tty: Boolean(process.stdout.isTTY), yes: false };

export function globals(): GlobalOptions {
  return current;
}

export function addGlobalOptions(cmd: Command): Command {
  cmd.option("--log-level <level>", "Set the logging level [trace, debug, info, warn, error]");
  cmd.option("--log-format <format>", "Set the logging format [text, json]");
  boolFlag(cmd, "--debug", "Debug mode");
  boolFlag(cmd, "--tty", "Enable TUI interactions such as opening an editor. Defaults to true when stdout is a terminal. Set to false for automation.");
  boolFlag(cmd, "-y, --yes", "Alias of --tty=false");
  return cmd;
}

interface RawGlobals {
  logLevel?: string;
  logFormat?: string;
  debug?: boolean;
  tty?: boolean;
  yes?: boolean;
}

const DEPRECATED_YES = new Set(["clone", "edit", "rename"]);

/** Lima's processGlobalFlags: --debug, then --log-level, then --log-format. Returns --debug. */
function applyLogGlobals(flags: RawGlobals): boolean {
  const debug = flags.debug === true;
  if (debug) configureLogger({ level: "debug", debug: true });
  if (flags.logLevel !== undefined) configureLogger({ level: parseLevel(flags.logLevel) });
  if (flags.logFormat !== undefined) {
    if (flags.logFormat !== "text" && flags.logFormat !== "json") throw new LimaError(`unsupported log-format: ${q(flags.logFormat)}`);
    configureLogger({ format: flags.logFormat as LogFormat });
  }
  return debug;
}

/** The global flags before a plugin's name: only the logging ones act (Lima's plugin PreRunE). */
export function applyPluginGlobals(flagsCommand: Command): void {
  current = { ...current, debug: applyLogGlobals(flagsCommand.opts<RawGlobals>()) };
}

/** Applies the global flags found on the program and on the command being run. */
export function applyGlobals(program: Command, action: Command): void {
  const merged: RawGlobals = {};
  for (const c of [program, action]) {
    const o = c.opts<RawGlobals>();
    for (const key of ["logLevel", "logFormat", "debug", "tty", "yes"] as const) {
      if (o[key] !== undefined) (merged as Record<string, unknown>)[key] = o[key];
    }
  }
  const debug = applyLogGlobals(merged);
  if (merged.yes !== undefined && merged.tty !== undefined) throw new LimaError("cannot use both --tty and --yes flags at the same time");
  let tty = merged.tty ?? Boolean(process.stdout.isTTY);
  if (merged.yes !== undefined) {
    if (DEPRECATED_YES.has(action.name())) {
      logger.warn("--yes flag is deprecated (--tty=false is still supported and works in the same way. Also consider using --start)");
    }
    if (merged.yes) tty = false;
  }
  current = { debug, tty, yes: merged.yes === true };
}
