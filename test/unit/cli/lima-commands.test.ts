// limactl's command tree against Lima v2.2's on Linux (lima-vm/lima 183a60d7, cmd/limactl/*.go and
// cobra's own `help`, `completion`, `__complete`): names, aliases, short texts, help groups, hidden.
// Every Lima command exists here, and a command Lima does not have fails the test.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command, Help } from "commander";
import { COMMANDS } from "../../../src/cli/commands/index.js";
import { ADVANCED_GROUP, BASIC_GROUP, HELP_TOPIC_GROUP } from "../../../src/cli/help.js";

interface LimaCommand {
  path: string;
  short: string;
  aliases?: string[];
  group?: string;
  hidden?: true;
}

const basic = (path: string, short: string, aliases?: string[]): LimaCommand => ({ path, short, group: BASIC_GROUP, ...(aliases ? { aliases } : {}) });
const advanced = (path: string, short: string, aliases?: string[]): LimaCommand => ({ path, short, group: ADVANCED_GROUP, ...(aliases ? { aliases } : {}) });
const hidden = (path: string, short: string, aliases?: string[]): LimaCommand => ({ path, short, hidden: true, ...(aliases ? { aliases } : {}) });
const sub = (path: string, short: string, aliases?: string[]): LimaCommand => ({ path, short, ...(aliases ? { aliases } : {}) });

const LIMA_COMMANDS: readonly LimaCommand[] = [
  basic("create", "Create an instance of Lima"),
  basic("start", "Start an instance of Lima"),
  basic("stop", "Stop an instance"),
  basic("shell", "Execute shell in Lima"),
  advanced("copy", "Copy files between host and guest", ["cp"]),
  basic("list", "List instances of Lima", ["ls"]),
  basic("delete", "Delete an instance of Lima", ["remove", "rm"]),
  advanced("validate", "Validate YAML templates"),
  advanced("prune", "Prune garbage objects"),
  hidden("hostagent", "Run hostagent"),
  hidden("guest-install", "Install guest components"),
  advanced("info", "Show diagnostic information"),
  advanced("show-ssh", "Show the SSH command line (DEPRECATED; use `ssh -F` instead)"),
  hidden("debug", "Debug utilities"),
  sub("debug dns", "Debug built-in DNS"),
  basic("edit", "Edit an instance of Lima or a template"),
  advanced("factory-reset", "Factory reset an instance of Lima"),
  advanced("disk", "Lima disk management"),
  sub("disk create", "Create a Lima disk"),
  sub("disk list", "List existing Lima disks", ["ls"]),
  sub("disk delete", "Delete one or more Lima disks", ["remove", "rm"]),
  sub("disk unlock", "Unlock one or more Lima disks"),
  sub("disk resize", "Resize existing Lima disk"),
  sub("disk import", "Import an existing disk to Lima"),
  hidden("usernet", "Run usernet"),
  hidden("generate-doc", "Generate cli-reference pages"),
  hidden("generate-jsonschema", "Generate json-schema document"),
  advanced("snapshot", "Manage instance snapshots"),
  sub("snapshot create", "Create (save) a snapshot", ["save"]),
  sub("snapshot delete", "Delete (del) a snapshot", ["del"]),
  sub("snapshot apply", "Apply (load) a snapshot", ["load"]),
  sub("snapshot list", "List existing snapshots", ["ls"]),
  advanced("screenshot", "Capture a screenshot of the VM display"),
  advanced("protect", "Protect an instance to prohibit accidental removal"),
  advanced("unprotect", "Unprotect an instance"),
  advanced("tunnel", "Create a tunnel for Lima"),
  advanced("template", "Lima template management (EXPERIMENTAL)", ["tmpl"]),
  sub("template copy", "Copy template"),
  sub("template validate", "Validate YAML templates"),
  sub("template yq", "Query template expressions"),
  sub("template url", "Transform custom template URLs to regular file or https URLs"),
  basic("restart", "Restart a running instance"),
  advanced("sudoers", "Generate the content of the /etc/sudoers.d/lima file"),
  advanced("autostart", "Manage automatic startup of Lima instances"),
  sub("autostart enable", "Register an instance to start automatically"),
  sub("autostart disable", "Unregister an instance from automatic startup"),
  // Deprecated ("use \"limactl autostart\" instead"): cobra leaves deprecated commands out of the help.
  { path: "start-at-login", short: "Register/Unregister an autostart file for the instance", group: ADVANCED_GROUP, hidden: true },
  advanced("network", "Lima network management"),
  sub("network list", "List networks", ["ls"]),
  sub("network create", "Create a Lima network"),
  sub("network delete", "Delete one or more Lima networks", ["remove", "rm"]),
  advanced("clone", "Clone an instance of Lima"),
  advanced("rename", "Rename an instance of Lima"),
  advanced("watch", "Watch events from instances"),
  { path: "yq-restrictions", short: "Restrictions on yq expressions in Lima", group: HELP_TOPIC_GROUP },
  // cobra's own; `__complete` answers to `__completeNoDesc` too.
  sub("completion", "Generate the autocompletion script for the specified shell"),
  sub("completion bash", "Generate the autocompletion script for bash"),
  sub("completion zsh", "Generate the autocompletion script for zsh"),
  sub("completion fish", "Generate the autocompletion script for fish"),
  sub("completion powershell", "Generate the autocompletion script for powershell"),
  hidden("__complete", "Request shell completion choices for the specified command-line args"),
  // Lima's `limactl yq` is the multi-call yq, run before cobra: a command, but never listed.
  hidden("yq", "Query YAML/JSON/XML/CSV files"),
];

/** Commander's own help command and our second completion entry point are not commands of their own. */
const NOT_COMMANDS = new Set(["help", "__completeNoDesc"]);

async function ourTree(): Promise<Map<string, Command>> {
  const program = new Command("limactl").enablePositionalOptions();
  for (const entry of COMMANDS) (await entry.load()).register(program);
  const tree = new Map<string, Command>();
  const walk = (cmd: Command, prefix: string): void => {
    for (const c of cmd.commands) {
      if (NOT_COMMANDS.has(c.name())) continue;
      const path = `${prefix}${c.name()}`;
      tree.set(path, c);
      walk(c, `${path} `);
    }
  };
  walk(program, "");
  return tree;
}

describe("the command tree matches Lima's", () => {
  it("has every command Lima has, and none that Lima does not have", async () => {
    const ours = await ourTree();
    const lima = new Set(LIMA_COMMANDS.map((c) => c.path));
    assert.deepEqual([...ours.keys()].filter((p) => !lima.has(p)), [], "commands Lima does not have");
    assert.deepEqual([...lima].filter((p) => !ours.has(p)), [], "Lima commands we do not have");
  });

  it("gives each command Lima's short text, aliases, group and visibility", async () => {
    const ours = await ourTree();
    const help = new Help();
    for (const lima of LIMA_COMMANDS) {
      const cmd = ours.get(lima.path);
      assert.ok(cmd, lima.path);
      const parent = cmd.parent as Command;
      const visible = help.visibleCommands(parent).includes(cmd);
      const aliases = cmd.aliases().filter((a) => !NOT_COMMANDS.has(a));
      assert.deepEqual(
        { short: cmd.summary(), aliases, group: cmd.helpGroup(), hidden: !visible },
        { short: lima.short, aliases: lima.aliases ?? [], group: lima.path.includes(" ") ? "" : (lima.group ?? ""), hidden: lima.hidden === true },
        lima.path,
      );
    }
  });
});
