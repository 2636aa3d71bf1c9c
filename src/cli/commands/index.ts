// Every limactl sub-command, one file each. Order = order in help output. Modules are imported
// only when needed: `limactl ls` loads the list command, not the VM driver or the YAML editor.
import type { Command } from "commander";

export type RegisterCommand = (program: Command) => Command;

export interface CommandModule {
  register: RegisterCommand;
}

export interface CommandEntry {
  /** The name and aliases the command answers to (checked against the modules by a unit test). */
  names: readonly string[];
  load: () => Promise<CommandModule>;
  /** Works on the whole command tree (shell completion), so every command must be registered. */
  needsTree?: boolean;
}

export const COMMANDS: readonly CommandEntry[] = [
  { names: ["create"], load: () => import("./create.js") },
  { names: ["start"], load: () => import("./start.js") },
  { names: ["stop"], load: () => import("./stop.js") },
  { names: ["restart"], load: () => import("./restart.js") },
  { names: ["shell"], load: () => import("./shell.js") },
  { names: ["copy", "cp"], load: () => import("./copy.js") },
  { names: ["list", "ls"], load: () => import("./list.js") },
  { names: ["delete", "remove", "rm"], load: () => import("./delete.js") },
  { names: ["edit"], load: () => import("./edit.js") },
  { names: ["clone"], load: () => import("./clone.js") },
  { names: ["rename"], load: () => import("./rename.js") },
  { names: ["protect"], load: () => import("./protect.js") },
  { names: ["unprotect"], load: () => import("./unprotect.js") },
  { names: ["validate"], load: () => import("./validate.js") },
  { names: ["template", "tmpl"], load: () => import("./template.js") },
  { names: ["info"], load: () => import("./info.js") },
  { names: ["factory-reset"], load: () => import("./factory-reset.js") },
  { names: ["prune"], load: () => import("./prune.js") },
  { names: ["show-ssh"], load: () => import("./show-ssh.js") },
  { names: ["yq"], load: () => import("./yq.js") },
  { names: ["completion", "__complete", "__completeNoDesc"], load: () => import("./completion.js"), needsTree: true },
  { names: ["hostagent"], load: () => import("./hostagent.js") },
  { names: ["generate-doc"], load: () => import("./generate-doc.js"), needsTree: true },
  { names: ["generate-jsonschema"], load: () => import("./generate-jsonschema.js") },
  { names: ["yq-restrictions"], load: () => import("./yq-restrictions.js") },
  { names: ["tunnel"], load: () => import("./tunnel.js") },
  { names: ["watch"], load: () => import("./watch.js") },
  { names: ["debug"], load: () => import("./debug.js") },
  { names: ["guest-install"], load: () => import("./guest-install.js") },
  { names: ["sudoers"], load: () => import("./sudoers.js") },
  { names: ["autostart"], load: () => import("./autostart.js") },
  { names: ["start-at-login"], load: () => import("./start-at-login.js") },
  { names: ["disk"], load: () => import("./disk.js") },
  { names: ["snapshot"], load: () => import("./snapshot.js") },
  { names: ["screenshot"], load: () => import("./screenshot.js") },
  { names: ["network"], load: () => import("./network.js") },
  { names: ["usernet"], load: () => import("./usernet.js") },
];

/** Global flags that take a value as the next argument (`--log-level debug`). */
const GLOBAL_VALUE_FLAGS = new Set(["--log-level", "--log-format"]);

/** The first positional argument: the sub-command name, if any (flags may come before it). */
export function subcommandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") return undefined;
    if (GLOBAL_VALUE_FLAGS.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/**
 * The commands to register for `args`: only the one being run when it is known and stands alone;
 * every command for help, unknown commands (suggestions) and completion.
 */
export function commandsFor(args: readonly string[]): readonly CommandEntry[] {
  const name = subcommandName(args);
  const entry = name === undefined ? undefined : COMMANDS.find((c) => c.names.includes(name));
  if (entry === undefined || entry.needsTree) return COMMANDS;
  return [entry];
}
