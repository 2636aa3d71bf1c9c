// The `limactl` command tree. Each command lives in its own file under commands/ and exports
// `register(program)`; this file wires them, the global flags and cobra-like error reporting.
import path from "node:path";
import { Command, CommanderError, type Option } from "commander";
import { logger } from "../log/logger.js";
import { ExitCodeError, errorMessage } from "../util/errors.js";
import { VERSION } from "../version.js";
import { discoverPlugins, findPlugin, type Plugin, runPlugin, URL_PLUGIN_PREFIX } from "../plugins/plugins.js";
import { q } from "../util/goquote.js";
import { LimaError } from "../util/errors.js";
import { packageRoot } from "../util/pkgroot.js";
import { COMMANDS, commandsFor, subcommandName } from "./commands/index.js";
import { commandPath, commandUseLine, normalizeBooleanArgs } from "./flags.js";
import { addGlobalOptions, applyGlobals, applyPluginGlobals } from "./globals.js";
import { type CommandHelp, type FlagDoc, formatCommandHelp, formatRootHelp, type HelpCommand, PLUGIN_GROUP, unknownCommandMessage } from "./help.js";

const ROOT = "limactl";
const ROOT_SHORT = "Lima: Linux virtual machines";

function rootExample(): string {
  const templates = path.join(packageRoot(), "share", "lima", "templates");
  return `  Start the default instance:
  $ limactl start

  Open a shell:
  $ lima

  Run a container:
  $ lima nerdctl run -d --name nginx -p 8080:80 nginx:alpine

  Stop the default instance:
  $ limactl stop

  See also template YAMLs: ${templates}`;
}

/** The root's flags as pflag lists them (cobra adds --help and --version). */
function rootFlags(): FlagDoc[] {
  // --tty defaults to whether stdout is a terminal; pflag shows only a non-false default.
  const ttyDefault = process.stdout.isTTY ? { defaultValue: "true" } : {};
  const flags: FlagDoc[] = [
    { long: "log-level", varname: "string", usage: "Set the logging level [trace, debug, info, warn, error]" },
    { long: "log-format", varname: "string", usage: "Set the logging format [text, json]", defaultValue: "text" },
    { long: "debug", usage: "Debug mode" },
    { long: "tty", usage: "Enable TUI interactions such as opening an editor. Defaults to true when stdout is a terminal. Set to false for automation.", ...ttyDefault },
    { long: "yes", short: "y", usage: "Alias of --tty=false" },
    { long: "help", short: "h", usage: `help for ${ROOT}` },
    { long: "version", short: "v", usage: `version for ${ROOT}` },
  ];
  return flags;
}

/** The root's sub-commands as help and suggestions see them, plugins included (url-* hidden). */
function helpCommands(program: Command, plugins: readonly Plugin[]): HelpCommand[] {
  const visible = new Set(program.createHelp().visibleCommands(program));
  const commands: HelpCommand[] = program.commands.map((c) => ({ name: c.name(), short: c.summary(), group: c.helpGroup(), hidden: !visible.has(c) }));
  commands.push({ name: "help", short: "Help about any command", group: "", hidden: false });
  const builtin = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  for (const p of plugins) {
    if (builtin.has(p.name)) continue;
    commands.push({ name: p.name, short: p.description ?? "", group: PLUGIN_GROUP, hidden: p.name.startsWith(URL_PLUGIN_PREFIX) });
  }
  return commands;
}

/** The command tree for `args`: the global flags plus the commands `args` can reach (commandsFor). */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command(ROOT);
  program
    .summary(ROOT_SHORT)
    .description(ROOT_SHORT)
    .usage("[command]")
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} });
  addGlobalOptions(program);
  program.option("-v, --version", `version for ${ROOT}`);
  program.hook("preAction", (_root, action) => applyGlobals(program, action));
  const entries = commandsFor(args);
  const modules = await Promise.all(entries.map((entry) => entry.load()));
  for (const { register } of modules) prepareSubcommand(register(program));
  // Help and unknown commands need the whole tree: only then are plugins looked for.
  const wholeTree = entries.length === COMMANDS.length;
  const commands = (): HelpCommand[] => helpCommands(program, wholeTree ? discoverPlugins() : []);
  program.configureHelp({ formatHelp: () => formatRootHelp({ short: ROOT_SHORT, root: ROOT, example: rootExample(), commands: commands(), flags: rootFlags() }) });
  // Set after the sub-commands were created, so that only the root takes an unknown name.
  program.allowExcessArguments(true);
  program.action(() => {
    const [typed] = program.args;
    if (typed !== undefined) throw new LimaError(unknownCommandMessage(typed, ROOT, commands()));
    if (program.opts<{ version?: boolean }>().version) {
      process.stdout.write(`${ROOT} version ${VERSION}\n`);
      return;
    }
    program.outputHelp();
  });
  return program;
}

function prepareSubcommand(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => {}, outputError: () => {} });
  if (cmd.configureHelp().formatHelp === undefined) cmd.configureHelp({ formatHelp: () => formatCommandHelp(commandHelp(cmd)) });
  if (cmd.commands.length > 0) {
    // cobra prints a non-runnable command's help on stdout and exits 0 (`limactl disk`).
    cmd.allowExcessArguments(true).action(() => cmd.outputHelp());
    for (const sub of cmd.commands) prepareSubcommand(sub);
    return;
  }
  addGlobalOptions(cmd);
}

/** The global flags as a sub-command's help lists them (cobra: inherited persistent flags). */
const GLOBAL_FLAG_NAMES = new Set(["log-level", "log-format", "debug", "tty", "yes"]);

/** pflag's type name for a value placeholder: ours are `<int>`, `<float>`, `<duration>` where pflag's are. */
function pflagType(opt: Option): string | undefined {
  if (!opt.required && !opt.optional) return undefined;
  if (opt.variadic) return "stringArray";
  const placeholder = /<([^>]+)>/.exec(opt.flags)?.[1] ?? "";
  return ["int", "float", "duration"].includes(placeholder) ? placeholder : "string";
}

function flagDoc(opt: Option): FlagDoc {
  const varname = pflagType(opt);
  const dflt = opt.defaultValue as unknown;
  const shown = dflt !== undefined && dflt !== false && dflt !== "" && !(Array.isArray(dflt) && dflt.length === 0);
  return {
    long: (opt.long ?? "").replace(/^--/, ""),
    ...(opt.short ? { short: opt.short.replace(/^-/, "") } : {}),
    ...(varname ? { varname } : {}),
    usage: opt.description,
    ...(shown ? { defaultValue: String(dflt) } : {}),
  };
}

function commandHelp(cmd: Command): CommandHelp {
  const path = commandPath(cmd);
  const options = cmd.options.filter((o) => !o.hidden && !o.negate);
  const flags = options.filter((o) => !GLOBAL_FLAG_NAMES.has((o.long ?? "").replace(/^--/, ""))).map(flagDoc);
  flags.push({ long: "help", short: "h", usage: `help for ${cmd.name()}` });
  const visible = new Set(cmd.createHelp().visibleCommands(cmd));
  return {
    description: cmd.description() || cmd.summary(),
    useLine: cmd.commands.length > 0 ? "" : commandUseLine(cmd),
    path,
    names: [cmd.name(), ...cmd.aliases()],
    subcommands: cmd.commands.filter((c) => c.name() !== "help").map((c) => ({ name: c.name(), short: c.summary() || c.description(), group: "", hidden: !visible.has(c) })),
    flags,
    globalFlags: rootFlags().filter((f) => GLOBAL_FLAG_NAMES.has(f.long)),
  };
}

/** Commander's messages translated to cobra's, which users and scripts know. */
function cobraMessage(err: CommanderError): string {
  const opt = /'([^']+)'/.exec(err.message)?.[1] ?? "";
  switch (err.code) {
    case "commander.unknownOption":
      return `unknown flag: ${opt.split("=")[0]}`;
    case "commander.unknownCommand":
      return `unknown command ${JSON.stringify(opt)} for "limactl"`;
    case "commander.optionMissingArgument":
      return `flag needs an argument: ${opt.split(" ").pop() ?? opt}`;
    default:
      return err.message.replace(/^error: /, "");
  }
}

export async function runCLI(argv: string[]): Promise<void> {
  try {
    const args = argv.slice(2);
    const plugin = pluginFor(args);
    if (plugin !== undefined) {
      process.exitCode = await runPluginCommand(plugin, args);
      return;
    }
    const program = await buildProgram(args);
    await program.parseAsync(normalizeBooleanArgs(args), { from: "user" });
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/** The plugin `args` run: their sub-command is no built-in command and a plugin has its name. */
function pluginFor(args: readonly string[]): Plugin | undefined {
  const name = subcommandName(args);
  if (name === undefined || name === "help" || COMMANDS.some((c) => c.names.includes(name))) return undefined;
  return findPlugin(name);
}

/** `limactl [global flags] NAME ARGS...`: the global flags act, ARGS go to the plugin untouched. */
async function runPluginCommand(plugin: Plugin, args: readonly string[]): Promise<number> {
  const at = args.indexOf(plugin.name);
  const flags = addGlobalOptions(new Command(ROOT)).exitOverride().configureOutput({ writeErr: () => {}, outputError: () => {} });
  flags.parse(normalizeBooleanArgs(args.slice(0, at)), { from: "user" });
  applyPluginGlobals(flags);
  try {
    return await runPlugin(plugin, args.slice(at + 1));
  } catch (err) {
    throw new LimaError(`external command ${q(plugin.path)} failed: ${errorMessage(err)}`, { cause: err });
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof ExitCodeError) return err.exitCode;
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.help" || err.code === "commander.version") return 0;
    logger.fatal(cobraMessage(err));
    return 1;
  }
  logger.fatal(errorMessage(err));
  if (process.env.LIMA_DEBUG_STACK && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}
