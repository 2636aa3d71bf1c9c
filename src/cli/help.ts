// The root help as cobra prints it for Lima (groups, padding, pflag's flag table), and cobra's
// "unknown command" error with its suggestions. Pure: the caller gathers commands and plugins.

export const BASIC_GROUP = "Basic Commands:";
export const ADVANCED_GROUP = "Advanced Commands:";
export const PLUGIN_GROUP = "Available Plugins (Experimental):";
/** Commands without a group: cobra's `completion` and `help`. */
const ADDITIONAL_TITLE = "Additional Commands:";
/** A non-runnable command without sub-commands (Lima's `yq-restrictions`) is a help topic. */
export const HELP_TOPIC_GROUP = "Additional help topics:";
const GROUP_ORDER = [BASIC_GROUP, ADVANCED_GROUP, PLUGIN_GROUP] as const;

/** cobra's minNamePadding. */
const MIN_NAME_PADDING = 11;
/** cobra's SuggestionsMinimumDistance. */
const SUGGESTION_DISTANCE = 2;

export interface HelpCommand {
  name: string;
  short: string;
  /** One of the group titles above, or "" (Additional Commands). */
  group: string;
  hidden: boolean;
}

export interface FlagDoc {
  long: string;
  short?: string;
  /** pflag's value type name shown after the flag ("string"); none for booleans. */
  varname?: string;
  usage: string;
  /** Shown as ` (default X)` when not the type's zero value; strings are Go-%q quoted. */
  defaultValue?: string;
}

export interface RootHelp {
  short: string;
  root: string;
  example: string;
  commands: readonly HelpCommand[];
  flags: readonly FlagDoc[];
}

const rpad = (s: string, width: number): string => s.padEnd(width);

const byName = (a: HelpCommand, b: HelpCommand): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** pflag's FlagUsages: sorted by name, usage column after the longest flag, defaults appended. */
export function flagUsages(flags: readonly FlagDoc[]): string {
  const sorted = [...flags].sort((a, b) => (a.long < b.long ? -1 : a.long > b.long ? 1 : 0));
  const heads = sorted.map((f) => `${f.short ? `  -${f.short}, --${f.long}` : `      --${f.long}`}${f.varname ? ` ${f.varname}` : ""}`);
  const width = Math.max(...heads.map((h) => h.length));
  return sorted
    .map((f, i) => {
      const dflt = f.defaultValue === undefined ? "" : ` (default ${f.varname === "string" ? JSON.stringify(f.defaultValue) : f.defaultValue})`;
      return `${rpad(heads[i] ?? "", width)}   ${f.usage}${dflt}\n`;
    })
    .join("");
}

function commandRows(commands: readonly HelpCommand[], group: string, padding: number): string {
  return commands
    .filter((c) => c.group === group && !c.hidden)
    .map((c) => `\n  ${rpad(c.name, padding)} ${c.short}`)
    .join("");
}

/** `limactl --help`: cobra's help template with Lima's three groups. */
export function formatRootHelp(help: RootHelp): string {
  const commands = [...help.commands].sort(byName);
  const padding = Math.max(MIN_NAME_PADDING, ...commands.map((c) => c.name.length));
  const pathPadding = Math.max(MIN_NAME_PADDING, ...commands.map((c) => `${help.root} ${c.name}`.length));
  let out = `${help.short}\n\nUsage:\n  ${help.root} [command]\n\nExamples:\n${help.example}`;
  for (const group of GROUP_ORDER) out += `\n\n${group}${commandRows(commands, group, padding)}`;
  out += `\n\n${ADDITIONAL_TITLE}${commandRows(commands, "", padding)}`;
  out += `\n\nFlags:\n${flagUsages(help.flags).trimEnd()}`;
  const topics = commands.filter((c) => c.group === HELP_TOPIC_GROUP && !c.hidden);
  if (topics.length > 0) {
    out += `\n\n${HELP_TOPIC_GROUP}`;
    for (const t of topics) out += `\n  ${rpad(`${help.root} ${t.name}`, pathPadding)} ${t.short}`;
  }
  return `${out}\n\nUse "${help.root} [command] --help" for more information about a command.\n`;
}

/** Levenshtein distance, case-insensitive (cobra's ld with ignoreCase). */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row.push(Math.min((row[j - 1] ?? 0) + 1, (prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[t.length] ?? 0;
}

/** cobra's suggestions: visible commands within edit distance 2 of `typed`, or starting with it. */
export function suggestionsFor(typed: string, commands: readonly HelpCommand[]): string[] {
  return [...commands]
    .sort(byName)
    // cobra counts neither its help command nor help topics as available commands.
    .filter((c) => !c.hidden && c.group !== HELP_TOPIC_GROUP && c.name !== "help")
    .filter((c) => distance(typed, c.name) <= SUGGESTION_DISTANCE || c.name.toLowerCase().startsWith(typed.toLowerCase()))
    .map((c) => c.name);
}

/** `unknown command "x" for "limactl"` and, when there are any, cobra's "Did you mean this?" lines. */
export function unknownCommandMessage(typed: string, root: string, commands: readonly HelpCommand[]): string {
  const suggestions = suggestionsFor(typed, commands);
  const tail = suggestions.length === 0 ? "" : `\n\nDid you mean this?\n${suggestions.map((s) => `\t${s}\n`).join("")}`;
  return `unknown command ${JSON.stringify(typed)} for ${JSON.stringify(root)}${tail}`;
}

export interface CommandHelp {
  /** Long description, or the short one (cobra prints `Long` when set). */
  description: string;
  /** `limactl stop INSTANCE [flags]`: cobra's UseLine; "" for a command that only groups others. */
  useLine: string;
  /** `limactl template`. */
  path: string;
  /** The name followed by its aliases. */
  names: readonly string[];
  subcommands: readonly HelpCommand[];
  flags: readonly FlagDoc[];
  globalFlags: readonly FlagDoc[];
}

/** A sub-command's `--help`: cobra's default usage template (Usage, Aliases, Available Commands, Flags, Global Flags). */
export function formatCommandHelp(help: CommandHelp): string {
  const subcommands = [...help.subcommands].filter((c) => !c.hidden).sort(byName);
  let out = help.description.trimEnd() === "" ? "" : `${help.description.trimEnd()}\n\n`;
  out += "Usage:";
  if (help.useLine !== "") out += `\n  ${help.useLine}`;
  if (subcommands.length > 0) out += `\n  ${help.path} [command]`;
  if (help.names.length > 1) out += `\n\nAliases:\n  ${help.names.join(", ")}`;
  if (subcommands.length > 0) {
    const padding = Math.max(MIN_NAME_PADDING, ...subcommands.map((c) => c.name.length));
    out += `\n\nAvailable Commands:${subcommands.map((c) => `\n  ${rpad(c.name, padding)} ${c.short}`).join("")}`;
  }
  if (help.flags.length > 0) out += `\n\nFlags:\n${flagUsages(help.flags).trimEnd()}`;
  if (help.globalFlags.length > 0) out += `\n\nGlobal Flags:\n${flagUsages(help.globalFlags).trimEnd()}`;
  if (subcommands.length > 0) out += `\n\nUse "${help.path} [command] --help" for more information about a command.`;
  return `${out}\n`;
}

/** cobra's UseLine: the command path, its use text, and ` [flags]` unless the use text names them. */
export function useLine(parentPath: string, use: string, hasFlags: boolean): string {
  const line = `${parentPath} ${use}`.trimEnd();
  return hasFlags && !use.includes("[flags]") ? `${line} [flags]` : line;
}
