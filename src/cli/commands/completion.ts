// Shell completion the cobra way: small shell shims that ask `limactl __complete ARGS... PARTIAL`
// for candidates (one per line, then `:<directive>`), so completion always matches this binary.
import type { Command } from "commander";
import { instanceNames } from "../../store/store.js";
import { listTemplates } from "../../templates/index.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { checkArgs } from "../flags.js";

/** Cobra's ShellCompDirective values. */
const NO_FILE_COMP = 4;
const DEFAULT = 0;

const BASH = `# bash completion for limactl
__limactl_complete() {
  local cur words cword
  cur="\${COMP_WORDS[COMP_CWORD]}"
  words=("\${COMP_WORDS[@]:1:COMP_CWORD-1}")
  local out directive
  out=$(limactl __complete "\${words[@]}" "$cur" 2>/dev/null) || return
  directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=($(compgen -W "$(printf '%s\\n' "$out" | cut -f1)" -- "$cur"))
  if [ "\${#COMPREPLY[@]}" -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F __limactl_complete limactl
`;

const ZSH = `#compdef limactl
_limactl() {
  local -a candidates
  local out directive
  out=$(limactl __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return
  directive=\${out##*:}
  candidates=(\${(f)\${out%:*}})
  if [ \${#candidates} -gt 0 ]; then
    compadd -- \${candidates%%$'\\t'*}
  elif [ $((directive & 4)) -eq 0 ]; then
    _files
  fi
}
compdef _limactl limactl
`;

const FISH = `# fish completion for limactl
function __limactl_complete
    set -l args (commandline -opc)[2..-1] (commandline -ct)
    limactl __complete $args 2>/dev/null | string match -v -r '^:'
end
complete -c limactl -f -a '(__limactl_complete)'
`;

function subcommandNames(cmd: Command): string[] {
  return cmd.commands.filter((c) => !c.name().startsWith("_")).flatMap((c) => [c.name()]);
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
export function complete(root: Command, words: string[], partial: string): { candidates: string[]; directive: number } {
  const { cmd, positionals } = findCommand(root, words);
  if (partial.startsWith("-")) {
    const flags = cmd.options.filter((o) => !o.hidden && o.long).map((o) => o.long as string);
    return { candidates: flags.filter((f) => f.startsWith(partial)), directive: NO_FILE_COMP };
  }
  if (cmd.commands.length > 0) return { candidates: subcommandNames(cmd).filter((n) => n.startsWith(partial)), directive: NO_FILE_COMP };
  const name = cmd.name();
  if (["create", "start"].includes(name) && positionals.length === 0) {
    const templates = listTemplates().map((t) => `template:${t.name}`).filter((t) => !t.split("/").some((p) => p.startsWith("_") || p.startsWith("template:_")));
    const extra = name === "start" ? instanceNames() : [];
    return { candidates: [...extra, ...templates].filter((c) => c.startsWith(partial)), directive: DEFAULT };
  }
  const takesInstances = ["stop", "restart", "delete", "shell", "edit", "clone", "rename", "protect", "unprotect", "list", "factory-reset", "show-ssh", "snapshot"];
  if (takesInstances.includes(name)) return { candidates: instanceNames().filter((n) => n.startsWith(partial)), directive: NO_FILE_COMP };
  return { candidates: [], directive: DEFAULT };
}

export function register(program: Command): Command {
  const completion = program.command("completion").summary("Generate the autocompletion script for the specified shell").description("Generate the autocompletion script for limactl for the specified shell.");
  for (const [shell, script] of [["bash", BASH], ["zsh", ZSH], ["fish", FISH]] as const) {
    const sub = completion.command(shell).summary(`Generate the autocompletion script for ${shell}`).description(`Generate the autocompletion script for ${shell}`).option("--no-descriptions", "disable completion descriptions").argument("[args...]");
    sub.action(() => {
      checkArgs(sub, sub.args, 0, 0);
      process.stdout.write(script);
    });
  }
  completion.command("powershell").summary("Generate the autocompletion script for powershell").action(() => {
    throw new LimaError(`completion for ${q("powershell")} is not supported yet`);
  });
  program
    .command("__complete", { hidden: true })
    .allowUnknownOption()
    .helpOption(false)
    .argument("[args...]")
    .action((args: string[]) => {
      const partial = args.length > 0 ? (args[args.length - 1] ?? "") : "";
      const { candidates, directive } = complete(program, args.slice(0, -1), partial);
      process.stdout.write(`${candidates.map((c) => `${c}\n`).join("")}:${directive}\n`);
    });
  return completion;
}
