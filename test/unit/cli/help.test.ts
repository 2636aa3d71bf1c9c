import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ADVANCED_GROUP, BASIC_GROUP, flagUsages, formatRootHelp, PLUGIN_GROUP, unknownCommandMessage, formatCommandHelp, useLine } from "../../../src/cli/help.js";

const commands = [
  { name: "start", short: "Start an instance of Lima", group: BASIC_GROUP, hidden: false },
  { name: "list", short: "List instances of Lima", group: BASIC_GROUP, hidden: false },
  { name: "info", short: "Show diagnostic information", group: ADVANCED_GROUP, hidden: false },
  { name: "generate-jsonschema", short: "Generate json-schema document", group: "", hidden: true },
  { name: "help", short: "Help about any command", group: "", hidden: false },
];

describe("cobra-style root help", () => {
  it("pads names to the longest command, hidden ones included, and prints every group title", () => {
    const out = formatRootHelp({ short: "Lima", root: "limactl", example: "  $ limactl start", commands, flags: [] });
    assert.match(out, /\nBasic Commands:\n {2}list {16}List instances of Lima\n {2}start {15}Start/);
    assert.match(out, /\nAdvanced Commands:\n {2}info {16}Show diagnostic information\n\nAvailable Plugins \(Experimental\):\n\nAdditional Commands:\n {2}help /);
    assert.doesNotMatch(out, /generate-jsonschema/);
    assert.ok(out.endsWith('\n\nUse "limactl [command] --help" for more information about a command.\n'));
  });

  it("lays out flags as pflag does", () => {
    assert.equal(
      flagUsages([
        { long: "yes", short: "y", usage: "Alias of --tty=false" },
        { long: "log-format", varname: "string", usage: "Set the logging format [text, json]", defaultValue: "text" },
        { long: "tty", usage: "TUI", defaultValue: "true" },
      ]),
      '      --log-format string   Set the logging format [text, json] (default "text")\n      --tty                 TUI (default true)\n  -y, --yes                 Alias of --tty=false\n',
    );
  });

  it("suggests visible commands within two edits or sharing the prefix, plugins included", () => {
    const withPlugin = [...commands, { name: "lsx", short: "", group: PLUGIN_GROUP, hidden: false }];
    assert.equal(unknownCommandMessage("lst", "limactl", withPlugin), 'unknown command "lst" for "limactl"\n\nDid you mean this?\n\tlist\n\tlsx\n');
    assert.equal(unknownCommandMessage("generate", "limactl", commands), 'unknown command "generate" for "limactl"');
    assert.equal(unknownCommandMessage("hel", "limactl", commands), 'unknown command "hel" for "limactl"');
  });
});

describe("cobra-style sub-command help", () => {
  const globalFlags = [
    { long: "log-level", varname: "string", usage: "Set the logging level [trace, debug, info, warn, error]" },
    { long: "debug", usage: "Debug mode" },
    { long: "yes", short: "y", usage: "Alias of --tty=false" },
  ];

  it("prints `limactl stop --help` as Lima does: use line with [flags], local and global flags", () => {
    const out = formatCommandHelp({
      description: "Stop an instance",
      useLine: useLine("limactl stop", "INSTANCE [INSTANCE, ...]", true),
      path: "limactl stop",
      names: ["stop"],
      subcommands: [],
      flags: [{ long: "force", short: "f", usage: "Force stop the instance" }, { long: "help", short: "h", usage: "help for stop" }],
      globalFlags,
    });
    assert.equal(out, `Stop an instance

Usage:
  limactl stop INSTANCE [INSTANCE, ...] [flags]

Flags:
  -f, --force   Force stop the instance
  -h, --help    help for stop

Global Flags:
      --debug              Debug mode
      --log-level string   Set the logging level [trace, debug, info, warn, error]
  -y, --yes                Alias of --tty=false
`);
  });

  it("a command grouping others lists them, its aliases, and the [command] hint", () => {
    const out = formatCommandHelp({
      description: "Lima disk management",
      useLine: "",
      path: "limactl disk",
      names: ["disk"],
      subcommands: [
        { name: "list", short: "List existing Lima disks", group: "", hidden: false },
        { name: "create", short: "Create a Lima disk", group: "", hidden: false },
        { name: "secret", short: "", group: "", hidden: true },
      ],
      flags: [{ long: "help", short: "h", usage: "help for disk" }],
      globalFlags: [],
    });
    assert.equal(out, `Lima disk management

Usage:
  limactl disk [command]

Available Commands:
  create      Create a Lima disk
  list        List existing Lima disks

Flags:
  -h, --help   help for disk

Use "limactl disk [command] --help" for more information about a command.
`);
  });

  it("a use text that names [flags] itself gets no second one", () => {
    assert.equal(useLine("limactl shell", "[flags] INSTANCE [COMMAND...]", true), "limactl shell [flags] INSTANCE [COMMAND...]");
    assert.equal(useLine("limactl info", "", true), "limactl info [flags]");
  });
});
