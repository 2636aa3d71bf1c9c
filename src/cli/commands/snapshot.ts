// `limactl snapshot create|apply|delete|list INSTANCE` (Lima: cmd/limactl/snapshot.go), through
// the instance's driver.
import type { Command } from "commander";
import type { Driver } from "../../driver/driver.js";
import { applySnapshot, snapshotTags, withSnapshotDriver } from "../../instance/snapshot.js";
import type { Instance } from "../../store/instance.js";
import { logger } from "../../log/logger.js";
import { inspect } from "../../store/store.js";
import { LimaError } from "../../util/errors.js";
import { boolFlag } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

/** Cobra's MinimumNArgs(1) message (Lima does not wrap it for these commands). */
function instanceArg(args: readonly string[]): string {
  if (args.length < 1) throw new LimaError(`requires at least 1 arg(s), only received ${args.length}`);
  logger.warn("`limactl snapshot` is experimental");
  return args[0] ?? "";
}

function requireTag(tag: string | undefined): string {
  if (!tag) throw new LimaError("expected tag");
  return tag;
}

type TagAction = (inst: Instance, tag: string) => Promise<void>;

/** A driver call with a tag (create, delete). */
function withDriver(call: (driver: Driver, tag: string) => Promise<void>): TagAction {
  return (inst, tag) => withSnapshotDriver(inst, (driver) => call(driver, tag));
}

function tagCommand(parent: Command, name: string, alias: string, summary: string, example: string, run: TagAction): void {
  const cmd = parent
    .command(name)
    .alias(alias)
    .usage("INSTANCE")
    .summary(summary)
    .description(summary)
    .argument("[args...]")
    .option("--tag <tag>", "Name of the snapshot")
    .addHelpText("after", `\nExamples:\n${example}`)
    .action(async (_a: string[], opts: { tag?: string }) => {
      const inst = await inspect(instanceArg(cmd.args));
      const tag = requireTag(opts.tag);
      await run(inst, tag);
    });
}

function listCommand(parent: Command): void {
  const cmd = parent
    .command("list")
    .alias("ls")
    .usage("INSTANCE")
    .summary("List existing snapshots")
    .description("List existing snapshots")
    .argument("[args...]")
    .addHelpText("after", "\nExamples:\n  List all snapshots of an instance:\n  $ limactl snapshot list default\n\n  List only snapshot tags:\n  $ limactl snapshot list default --quiet");
  boolFlag(cmd, "-q, --quiet", "Only show tags");
  cmd.action(async (_a: string[], opts: { quiet?: boolean }) => {
    const inst = await inspect(instanceArg(cmd.args));
    const out = await withSnapshotDriver(inst, (driver) => driver.listSnapshots());
    if (!opts.quiet) {
      process.stdout.write(out);
      return;
    }
    for (const tag of snapshotTags(out)) process.stdout.write(`${tag}\n`);
  });
}

export function register(program: Command): Command {
  const snapshot = program
    .command("snapshot")
    .summary("Manage instance snapshots")
    .description("Manage instance snapshots")
    .helpGroup(ADVANCED_GROUP)
    .addHelpText("after", `
Examples:
  List all snapshots of an instance:
  $ limactl snapshot list default

  Create a snapshot:
  $ limactl snapshot create default --tag snap1

  Apply (restore) a snapshot:
  $ limactl snapshot apply default --tag snap1

  Delete a snapshot:
  $ limactl snapshot delete default --tag snap1`);
  tagCommand(snapshot, "apply", "load", "Apply (load) a snapshot", "  Apply (restore) a snapshot:\n  $ limactl snapshot apply default --tag snap1", applySnapshot);
  tagCommand(snapshot, "create", "save", "Create (save) a snapshot", "  Create a snapshot of an instance:\n  $ limactl snapshot create default --tag snap1", withDriver((d, tag) => d.createSnapshot(tag)));
  tagCommand(snapshot, "delete", "del", "Delete (del) a snapshot", "  Delete a snapshot:\n  $ limactl snapshot delete default --tag snap1", withDriver((d, tag) => d.deleteSnapshot(tag)));
  listCommand(snapshot);
  return snapshot;
}
