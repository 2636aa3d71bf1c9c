import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ADVANCED_GROUP, BASIC_GROUP, flagUsages, formatRootHelp, PLUGIN_GROUP, unknownCommandMessage } from "../../../src/cli/help.js";

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
