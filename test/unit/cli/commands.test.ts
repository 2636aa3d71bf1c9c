import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { COMMANDS, commandsFor, subcommandName } from "../../../src/cli/commands/index.js";

const namesOf = (entries: readonly { names: readonly string[] }[]) => entries.map((e) => e.names[0]);

describe("lazy command table", () => {
  it("finds the sub-command behind global flags", () => {
    assert.equal(subcommandName(["ls"]), "ls");
    assert.equal(subcommandName(["--debug", "shell", "x", "--", "ls"]), "shell");
    assert.equal(subcommandName(["--log-level", "debug", "ls"]), "ls");
    assert.equal(subcommandName(["--log-level=debug", "--tty=false", "ls"]), "ls");
    assert.equal(subcommandName(["--version"]), undefined);
    assert.equal(subcommandName(["--", "ls"]), undefined);
  });

  it("loads only the command being run, by name or alias", () => {
    assert.deepEqual(namesOf(commandsFor(["ls", "-q"])), ["list"]);
    assert.deepEqual(namesOf(commandsFor(["--debug", "rm", "x"])), ["delete"]);
    assert.deepEqual(namesOf(commandsFor(["tmpl", "copy"])), ["template"]);
  });

  it("loads every command for help, unknown commands and completion", () => {
    for (const args of [[], ["help"], ["--help"], ["lss"], ["completion", "bash"], ["__complete", "sh"]]) {
      assert.equal(commandsFor(args).length, COMMANDS.length, args.join(" "));
    }
  });

  it("lists exactly the names and aliases each module registers", async () => {
    for (const entry of COMMANDS) {
      const program = new Command("limactl").enablePositionalOptions();
      (await entry.load()).register(program);
      const registered = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
      assert.deepEqual([...registered].sort(), [...entry.names].sort(), `names of ${entry.names[0]}`);
    }
  });
});
