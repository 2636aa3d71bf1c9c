// The `limactl` command tree. Each command lives in its own file under commands/ and exports
// `register(program)`; this file wires them, the global flags and cobra-like error reporting.
import { Command, CommanderError } from "commander";
import { logger } from "../log/logger.js";
import { ExitCodeError, errorMessage } from "../util/errors.js";
import { VERSION } from "../version.js";
import { commandsFor } from "./commands/index.js";
import { normalizeBooleanArgs } from "./flags.js";
import { addGlobalOptions, applyGlobals } from "./globals.js";

/** The command tree for `args`: the global flags plus the commands `args` can reach (commandsFor). */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command("limactl");
  program
    .summary("Lima: Linux virtual machines")
    .description("Lima: Linux virtual machines")
    .usage("[command]")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .addHelpText("after", "\nExamples:\n  To create an instance \"default\" from the default template:\n  $ limactl create\n\n  To start the instance \"default\":\n  $ limactl start\n\n  To open a shell:\n  $ lima\n");
  addGlobalOptions(program);
  program.option("-v, --version", "version for limactl");
  program.hook("preAction", (_root, action) => applyGlobals(program, action));
  const modules = await Promise.all(commandsFor(args).map((entry) => entry.load()));
  for (const { register } of modules) prepareSubcommand(register(program));
  program.action(() => {
    if (program.opts<{ version?: boolean }>().version) {
      process.stdout.write(`limactl version ${VERSION}\n`);
      return;
    }
    program.outputHelp();
  });
  return program;
}

function prepareSubcommand(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => {}, outputError: () => {} });
  if (cmd.commands.length > 0) {
    for (const sub of cmd.commands) prepareSubcommand(sub);
    return;
  }
  addGlobalOptions(cmd);
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
    const program = await buildProgram(args);
    await program.parseAsync(normalizeBooleanArgs(args), { from: "user" });
  } catch (err) {
    process.exitCode = exitCodeFor(err);
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
