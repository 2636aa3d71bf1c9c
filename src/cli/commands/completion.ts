// Shell completion the cobra way: small shell shims that ask `limactl __complete ARGS... PARTIAL`
// for candidates (one per line, then `:<directive>`), so completion always matches this binary.
import type { Command } from "commander";
import { allDiskNames } from "../../store/disk.js";
import { instanceNames } from "../../store/store.js";
import { listTemplates } from "../../templates/index.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { checkArgs, commandPath } from "../flags.js";

/** Cobra's ShellCompDirective values. */
const NO_FILE_COMP = 4;
const DEFAULT = 0;

/** The hidden commands the shell shims call; the second omits descriptions (cobra's names). */
const COMPLETE_CMD = "__complete";
const COMPLETE_NO_DESC_CMD = "__completeNoDesc";

function bashScript(complete: string): string {
  return `# bash completion for limactl
__limactl_complete() {
  local cur words cword
  cur="\${COMP_WORDS[COMP_CWORD]}"
  words=("\${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local out directive
  out=$(limactl ${complete} "\${words[@]}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=($(compgen -W "$(printf '%s\\n' "$out" | cut -f1)" -- "$cur"))
  if [ "\${#COMPREPLY[@]}" -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F __limactl_complete limactl
`;
}

// zsh shows "value:description" pairs through _describe; a colon inside a value is escaped.
function zshScript(complete: string): string {
  return `#compdef limactl
_limactl() {
  local -a lines candidates
  local out directive line value desc
  out=$(limactl ${complete} "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return
  directive=\${out##*:}
  lines=(\${(f)\${out%:*}})
  for line in $lines; do
    value=\${line%%$'\\t'*}
    desc=\${line#*$'\\t'}
    value=\${value//:/\\\\:}
    if [ "$desc" = "$line" ]; then candidates+=("$value"); else candidates+=("$value:$desc"); fi
  done
  if [ \${#candidates} -gt 0 ]; then
    _describe 'limactl' candidates
  elif [ $((directive & 4)) -eq 0 ]; then
    _files
  fi
}
compdef _limactl limactl
`;
}

// fish shows "value<TAB>description" lines as they are.
function fishScript(complete: string): string {
  return `# fish completion for limactl
function __limactl_complete
    set -l args (commandline -opc)[2..-1] (commandline -ct)
    limactl ${complete} $args 2>/dev/null | string match -v -r '^:'
end
complete -c limactl -f -a '(__limactl_complete)'
`;
}

const SCRIPTS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** A completion candidate; cobra prints it as `value<TAB>description`. */
export interface Candidate {
  value: string;
  description?: string;
}

/** cobra offers only available commands: neither hidden nor deprecated ones. */
function subcommands(cmd: Command): Candidate[] {
  return cmd.createHelp().visibleCommands(cmd).filter((c) => c.name() !== "help").map((c) => ({ value: c.name(), description: c.summary() || c.description() }));
}

/** Commands whose positional arguments are instance names, by path below the root. */
const TAKES_INSTANCES = new Set([
  "stop", "restart", "delete", "shell", "edit", "clone", "rename", "protect", "unprotect", "list", "factory-reset", "show-ssh",
  "snapshot create", "snapshot apply", "snapshot delete", "snapshot list", "tunnel", "watch", "guest-install", "screenshot",
  "autostart enable", "autostart disable", "start-at-login",
]);
/** Commands whose positional arguments are additional disks. */
const TAKES_DISKS = new Set(["disk delete", "disk resize", "disk unlock"]);

/** `snapshot create` for `limactl snapshot create`. */
function pathBelowRoot(cmd: Command): string {
  return commandPath(cmd).split(" ").slice(1).join(" ");
}

function plain(values: string[]): Candidate[] {
  return values.map((value) => ({ value }));
}

function findCommand(root: Command, words: string[]): { cmd: Command; positionals: string[] } {
  let cmd = root;
  const positionals: string[] = [];
  for (const w of words) {
    if (w.startsWith("-")) continue;
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positionals.length === 0) cmd = sub;
    else positionals.push(w);
  }
  return { cmd, positionals };
}

/** Candidates for the word being completed, plus cobra's directive. */
export function complete(root: Command, words: string[], partial: string): { candidates: Candidate[]; directive: number } {
  const { cmd, positionals } = findCommand(root, words);
  const matching = (cands: Candidate[]): Candidate[] => cands.filter((c) => c.value.startsWith(partial));
  if (partial.startsWith("-")) {
    const flags = cmd.options.filter((o) => !o.hidden && o.long).map((o) => ({ value: o.long as string, description: o.description }));
    return { candidates: matching(flags), directive: NO_FILE_COMP };
  }
  if (cmd.commands.length > 0) return { candidates: matching(subcommands(cmd)), directive: NO_FILE_COMP };
  const name = pathBelowRoot(cmd);
  if (["create", "start"].includes(name) && positionals.length === 0) {
    const templates = listTemplates().map((t) => `template:${t.name}`).filter((t) => !t.split("/").some((p) => p.startsWith("_") || p.startsWith("template:_")));
    const extra = name === "start" ? instanceNames() : [];
    return { candidates: matching(plain([...extra, ...templates])), directive: DEFAULT };
  }
  if (TAKES_INSTANCES.has(name)) return { candidates: matching(plain(instanceNames())), directive: NO_FILE_COMP };
  if (TAKES_DISKS.has(name)) return { candidates: matching(plain(allDiskNames())), directive: NO_FILE_COMP };
  return { candidates: [], directive: DEFAULT };
}

/** Cobra's `__complete` output: one candidate a line (tab, then its description), then `:<directive>`. */
export function formatCompletions(candidates: Candidate[], directive: number, withDescriptions: boolean): string {
  const line = (c: Candidate): string => (withDescriptions && c.description ? `${c.value}\t${c.description.split("\n")[0]}` : c.value);
  return `${candidates.map((c) => `${line(c)}\n`).join("")}:${directive}\n`;
}

/** The words after the hidden command, as the shell passed them: commander would eat `--` and global flags. */
function rawWords(commandName: string): string[] {
  const at = process.argv.indexOf(commandName);
  return at < 0 ? [] : process.argv.slice(at + 1);
}

export function register(program: Command): Command {
  const completion = program.command("completion").summary("Generate the autocompletion script for the specified shell").description("Generate the autocompletion script for limactl for the specified shell.");
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const sub = completion.command(shell).summary(`Generate the autocompletion script for ${shell}`).description(`Generate the autocompletion script for ${shell}`).argument("[args...]");
    // commander reads `--no-descriptions` as the negation of `descriptions`
    sub.option("--no-descriptions", "disable completion descriptions");
    sub.action(() => {
      checkArgs(sub, sub.args, 0, 0);
      const withDescriptions = sub.opts<{ descriptions: boolean }>().descriptions;
      process.stdout.write(SCRIPTS[shell](withDescriptions ? COMPLETE_CMD : COMPLETE_NO_DESC_CMD));
    });
  }
  completion.command("powershell").summary("Generate the autocompletion script for powershell").action(() => {
    throw new LimaError(`completion for ${q("powershell")} is not supported yet`);
  });
  for (const [name, withDescriptions] of [[COMPLETE_CMD, true], [COMPLETE_NO_DESC_CMD, false]] as const) {
    program
      .command(name, { hidden: true })
      .summary("Request shell completion choices for the specified command-line args")
      .allowUnknownOption()
      .helpOption(false)
      .argument("[args...]")
      .action(() => {
        const args = rawWords(name);
        const partial = args.length > 0 ? (args[args.length - 1] ?? "") : "";
        const { candidates, directive } = complete(program, args.slice(0, -1), partial);
        process.stdout.write(formatCompletions(candidates, directive, withDescriptions));
      });
  }
  return completion;
}
