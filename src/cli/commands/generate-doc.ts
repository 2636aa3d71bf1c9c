// `limactl generate-doc DIR` (hidden, Lima: cmd/limactl/gendoc.go): one page per command of the
// tree, man pages (`--type man`: lima.1, limactl.1, limactl-create.1, ...) or markdown for the
// Docsy website (`--type docsy`: limactl.md, limactl_create.md, ...); the home directory in them
// becomes `~`, and --output (default: the current directory) becomes --prefix when given.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Command, Help } from "commander";
import { logger } from "../../log/logger.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";

type DocType = "man" | "docsy";

/** The commands that get a page: visible ones that run or have sub-commands (cobra's GenManTree). */
function documented(cmd: Command, help: Help): Command[] {
  const subs = help.visibleCommands(cmd).filter((c) => c.name() !== "help" && (c.commands.length > 0 || !c.helpGroup().startsWith("Additional help")));
  return [cmd, ...subs.flatMap((c) => documented(c, help))];
}

function commandPath(cmd: Command): string[] {
  return cmd.parent ? [...commandPath(cmd.parent), cmd.name()] : [cmd.name()];
}

function flagLines(cmd: Command, help: Help): string[] {
  return help.visibleOptions(cmd).map((o) => `${help.optionTerm(o)}\t${help.optionDescription(o)}`);
}

const roffEscape = (s: string): string => s.replace(/\\/g, "\\e").replace(/^\./gm, "\\&.").replace(/-/g, "\\-");

function manPage(cmd: Command, help: Help): string {
  const words = commandPath(cmd);
  const options = help.visibleOptions(cmd).map((o) => `.PP\n\\fB${roffEscape(help.optionTerm(o))}\\fP\n    ${roffEscape(help.optionDescription(o))}\n`);
  const related = [...(cmd.parent ? [commandPath(cmd.parent).join("-")] : []), ...help.visibleCommands(cmd).filter((c) => c.name() !== "help").map((c) => [...words, c.name()].join("-"))];
  return [
    ".nh",
    `.TH "${words[0]?.toUpperCase() ?? ""}" "1" "" "" ""`,
    "",
    ".SH NAME",
    `${roffEscape(words.join("-"))} \\- ${roffEscape(cmd.summary())}`,
    "",
    ".SH SYNOPSIS",
    `\\fB${roffEscape(help.commandUsage(cmd))}\\fP`,
    "",
    ".SH DESCRIPTION",
    roffEscape(cmd.description() || cmd.summary()),
    "",
    ...(options.length > 0 ? [".SH OPTIONS", ...options] : []),
    ...(related.length > 0 ? [".SH SEE ALSO", related.map((r) => `\\fB${roffEscape(r)}(1)\\fP`).join(", "), ""] : []),
  ].join("\n");
}

const LIMA_MAN = (short: string): string => `.nh
.TH "LIMA" "1" "" "" ""

.SH NAME
lima \\- ${short}

.SH SYNOPSIS
\\fBlima\\fP [\\fICOMMAND\\fP...]

.SH DESCRIPTION
lima is an alias for "limactl shell default".
The instance name ("default") can be changed by specifying $LIMA_INSTANCE.
.PP
The shell and initial workdir inside the instance can be specified via $LIMA_SHELL
and $LIMA_WORKDIR.

.SH SEE ALSO
\\fBlimactl(1)\\fP
`;

function docsyPage(cmd: Command, help: Help): string {
  const words = commandPath(cmd);
  const title = words.slice(1).join(" ") || words[0];
  const flags = flagLines(cmd, help);
  const link = (c: Command): string => `* [${commandPath(c).join(" ")}](../${commandPath(c).join("_")})\t - ${c.summary()}`;
  const related = [...(cmd.parent ? [link(cmd.parent)] : []), ...help.visibleCommands(cmd).filter((c) => c.name() !== "help").map(link)];
  return [
    `---\ntitle: ${title}\nweight: 3\n---`,
    `## ${words.join(" ")}\n`,
    `${cmd.summary()}\n`,
    ...(cmd.description() && cmd.description() !== cmd.summary() ? [`### Synopsis\n\n${cmd.description()}\n`] : []),
    "```",
    help.commandUsage(cmd),
    "```\n",
    ...(flags.length > 0 ? ["### Options\n", "```", ...flags, "```\n"] : []),
    ...(related.length > 0 ? ["### SEE ALSO\n", ...related, ""] : []),
  ].join("\n");
}

/** Replaces `text` with `replacement` in every file directly in `dir` (Lima's replaceAll). */
function replaceInFiles(dir: string, text: string, replacement: string): void {
  logger.info(`Replacing ${q(text)} with ${q(replacement)}`);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!statSync(file).isFile()) continue;
    writeFileSync(file, readFileSync(file, "utf8").split(text).join(replacement), { mode: 0o644 });
  }
}

function generate(root: Command, dir: string, type: DocType): void {
  const help = new Help();
  mkdirSync(dir, { recursive: true });
  if (type === "man") {
    logger.info(`Generating man ${q(dir)}`);
    writeFileSync(path.join(dir, "lima.1"), LIMA_MAN(root.summary()), { mode: 0o644 });
  }
  for (const cmd of documented(root, help)) {
    const words = commandPath(cmd);
    const [file, page] = type === "man" ? [`${words.join("-")}.1`, manPage(cmd, help)] : [`${words.join("_")}.md`, docsyPage(cmd, help)];
    writeFileSync(path.join(dir, file), page, { mode: 0o644 });
  }
}

export function register(program: Command): Command {
  const cmd = program
    .command("generate-doc", { hidden: true })
    .usage("DIR")
    .summary("Generate cli-reference pages")
    .description("Generate cli-reference pages")
    .option("--type <type>", "Output type  (man, docsy)", "man")
    .option("--output <dir>", "Output directory", "")
    .option("--prefix <dir>", "Install prefix", "")
    .argument("[dir...]");
  cmd.action((_args: string[], opts: { type: string; output: string; prefix: string }) => {
    checkArgs(cmd, cmd.args, 1);
    const dir = cmd.args[0] ?? "";
    // Lima ignores an unknown --type: it only replaces in whatever the directory holds.
    if (opts.type === "man" || opts.type === "docsy") generate(program, dir, opts.type);
    // As in Lima, an empty --output is the current directory (filepath.Abs("")).
    if (opts.prefix !== "") replaceInFiles(dir, path.resolve(opts.output), opts.prefix);
    replaceInFiles(dir, os.homedir(), "~");
  });
  return cmd;
}
