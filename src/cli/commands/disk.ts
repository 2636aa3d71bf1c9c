// `limactl disk`: additional disks in `$LIMA_HOME/_disks/<name>/datadisk` (Lima: cmd/limactl/disk.go).
import { copyFile, mkdir, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { bytesSize, parseSize } from "../../config/size.js";
import { createDiskImage, detectImageFormat, resizeDiskImage, virtualSize } from "../../driver/qemu/disk.js";
import { logger } from "../../log/logger.js";
import { diskDir } from "../../store/dirnames.js";
import { type DiskInfo, allDiskNames, inspectDisk, unlockDisk } from "../../store/disk.js";
import { DataDisk } from "../../store/filenames.js";
import type { Instance } from "../../store/instance.js";
import { inspect, instanceNames } from "../../store/store.js";
import { errorMessage, isErrno, LimaError } from "../../util/errors.js";
import { q, qList } from "../../util/goquote.js";
import { tabwrite } from "../../util/tabwriter.js";
import { boolFlag, checkArgs } from "../flags.js";
import { ADVANCED_GROUP } from "../help.js";

const DISK_FORMATS = ["qcow2", "raw"] as const;
type DiskFormat = (typeof DISK_FORMATS)[number];

function checkDiskFormat(format: string): DiskFormat {
  if ((DISK_FORMATS as readonly string[]).includes(format)) return format as DiskFormat;
  throw new LimaError(`disk format ${q(format)} not supported, use \`qcow2\` or \`raw\` instead`);
}

/** Cobra's MarkFlagRequired message. */
function requireSize(size: string | undefined): string {
  if (size === undefined) throw new LimaError('required flag(s) "size" not set');
  return size;
}

/** The disk, or undefined (with Lima's warning) when it has no `datadisk`. */
async function inspectOrWarn(name: string): Promise<DiskInfo | undefined> {
  try {
    return await inspectDisk(name);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
    logger.warn(`Ignoring non-existent disk ${q(name)}`);
    return undefined;
  }
}

function refuseExisting(name: string): string {
  const dir = diskDir(name);
  if (existsSync(dir)) throw new LimaError(`disk ${q(name)} already exists (${q(dir)})`);
  return dir;
}

async function createAction(name: string, opts: { size?: string; format: string }): Promise<void> {
  const sizeBytes = parseSize(requireSize(opts.size));
  const format = checkDiskFormat(opts.format);
  const dir = refuseExisting(name);
  logger.info(`Creating ${format} disk ${q(name)} with size ${bytesSize(sizeBytes)}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await createDiskImage(path.join(dir, DataDisk), sizeBytes, format);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new LimaError(`failed to create ${format} disk in ${q(dir)}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The named disks that exist (warning about the others), or every disk. */
function selectDisks(args: readonly string[]): string[] {
  const all = allDiskNames();
  if (args.length === 0) return all;
  const selected: string[] = [];
  for (const arg of args) {
    if (all.includes(arg)) selected.push(arg);
    else logger.warn(`No disk matching ${arg} found.`);
  }
  return selected;
}

async function inspectListed(name: string): Promise<DiskInfo | undefined> {
  try {
    return await inspectDisk(name);
  } catch (err) {
    logger.error(`disk ${q(name)} does not exist?`, { error: errorMessage(err) });
    return undefined;
  }
}

async function listAction(args: readonly string[], opts: { json?: boolean }): Promise<void> {
  const names = selectDisks(args);
  if (opts.json) {
    for (const name of names) {
      const disk = await inspectListed(name);
      if (disk) process.stdout.write(`${JSON.stringify(disk)}\n`);
    }
    return;
  }
  const rows: string[][] = [["NAME", "SIZE", "FORMAT", "DIR", "IN-USE-BY"]];
  if (names.length === 0) logger.warn("No disk found. Run `limactl disk create DISK --size SIZE` to create a disk.");
  for (const name of names) {
    const disk = await inspectListed(name);
    if (disk) rows.push([disk.name, bytesSize(disk.size), disk.format, disk.dir, disk.instance]);
  }
  process.stdout.write(tabwrite(rows));
}

async function allInstances(): Promise<Instance[]> {
  const instances: Instance[] = [];
  for (const name of instanceNames()) {
    try {
      instances.push(await inspect(name));
    } catch {
      // Lima skips instances it cannot inspect.
    }
  }
  return instances;
}

function referencingInstances(disk: string, instances: readonly Instance[]): string[] {
  return instances.filter((inst) => (inst.config?.additionalDisks ?? []).some((d) => d.name === disk)).map((inst) => inst.name);
}

async function deleteAction(args: readonly string[], opts: { force?: boolean }): Promise<void> {
  const instances = await allInstances();
  for (const name of args) {
    const disk = await inspectOrWarn(name);
    if (!disk) continue;
    if (!opts.force) {
      if (disk.instance !== "") throw new LimaError(`cannot delete disk ${q(disk.name)} in use by instance ${q(disk.instance)}`);
      const refs = referencingInstances(name, instances);
      if (refs.length > 0) {
        logger.warn(`Skipping deleting disk ${q(name)}, disk is referenced by one or more non-running instances: ${qList(refs)}`);
        logger.warn(`To delete anyway, run ${q(`limactl disk delete --force ${name}`)}`);
        continue;
      }
    }
    try {
      await rm(disk.dir, { recursive: true, force: true });
    } catch (err) {
      throw new LimaError(`failed to delete disk ${q(name)}: failed to remove ${q(disk.dir)}: ${errorMessage(err)}`, { cause: err });
    }
    logger.info(`Deleted ${q(name)} (${q(disk.dir)})`);
  }
}

/** Why the disk must stay locked: its instance runs or is broken. A missing instance frees it. */
async function unlockRefusal(disk: DiskInfo): Promise<string | undefined> {
  let inst: Instance;
  try {
    inst = await inspect(disk.instance);
  } catch {
    return undefined;
  }
  if ((inst.errors ?? []).length > 0) return `Cannot unlock disk ${q(disk.name)}, attached instance ${q(disk.instance)} has errors: [${(inst.errors ?? []).join(" ")}]`;
  if (inst.status === "Running") return `Cannot unlock disk ${q(disk.name)} used by running instance ${q(disk.instance)}`;
  return undefined;
}

async function unlockAction(args: readonly string[]): Promise<void> {
  for (const name of args) {
    const disk = await inspectOrWarn(name);
    if (!disk) continue;
    if (disk.instance === "") {
      logger.warn(`Ignoring unlocked disk ${q(name)}`);
      continue;
    }
    const refusal = await unlockRefusal(disk);
    if (refusal !== undefined) {
      logger.warn(refusal);
      continue;
    }
    try {
      unlockDisk(name);
    } catch (err) {
      throw new LimaError(`failed to unlock disk ${q(name)}: ${errorMessage(err)}`, { cause: err });
    }
    logger.info(`Unlocked disk ${q(name)} (${q(disk.dir)})`);
  }
}

async function runningOwner(disk: DiskInfo): Promise<boolean> {
  if (disk.instance === "") return false;
  try {
    return (await inspect(disk.instance)).status === "Running";
  } catch {
    return false;
  }
}

async function resizeAction(name: string, opts: { size?: string }): Promise<void> {
  const sizeBytes = parseSize(requireSize(opts.size));
  let disk: DiskInfo;
  try {
    disk = await inspectDisk(name);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new LimaError(`disk ${q(name)} does not exists`);
    throw err;
  }
  // shrinking would cut off the filesystem's end
  if (sizeBytes < disk.size) {
    throw new LimaError(`specified size ${q(bytesSize(sizeBytes))} is less than the current disk size ${q(bytesSize(disk.size))}. Disk shrinking is currently unavailable`);
  }
  if (await runningOwner(disk)) throw new LimaError(`cannot resize disk ${q(name)} used by running instance ${q(disk.instance)}. Please stop the VM instance`);
  try {
    await resizeDiskImage(path.join(disk.dir, DataDisk), sizeBytes);
  } catch (err) {
    throw new LimaError(`failed to resize disk ${q(name)}: ${errorMessage(err)}`, { cause: err });
  }
  logger.info(`Resized disk ${q(name)} (${q(disk.dir)})`);
}

/** Copies an existing qcow2 or raw image in as the disk's `datadisk` (Lima converts nothing). */
async function importAction(name: string, file: string): Promise<void> {
  const dir = refuseExisting(name);
  let format: string;
  let sizeBytes: number;
  try {
    format = await detectImageFormat(file);
    sizeBytes = await virtualSize(file);
  } catch (err) {
    if (isErrno(err, "ENOENT")) throw new LimaError(`open ${file}: no such file or directory`, { cause: err });
    throw err;
  }
  checkDiskFormat(format);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  try {
    await copyFile(file, path.join(dir, DataDisk));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new LimaError(`failed to copy ${q(file)} to ${q(dir)}: ${errorMessage(err)}`, { cause: err });
  }
  logger.info(`Imported ${name} with size ${bytesSize(sizeBytes)}`);
}

export function register(program: Command): Command {
  const disk = program
    .command("disk")
    .summary("Lima disk management")
    .description("Lima disk management")
    .helpGroup(ADVANCED_GROUP)
    .addHelpText("after", `
Examples:
  Create a disk:
  $ limactl disk create DISK --size SIZE [--format qcow2]

  List existing disks:
  $ limactl disk ls

  Delete a disk:
  $ limactl disk delete DISK

  Resize a disk:
  $ limactl disk resize DISK --size SIZE`);

  const create = disk
    .command("create")
    .usage("DISK")
    .summary("Create a Lima disk")
    .description("Create a Lima disk")
    .argument("[args...]")
    .option("--size <size>", "Configure the disk size")
    .option("--format <format>", "Specify the disk format", "qcow2")
    .action(async (_a: string[], opts: { size?: string; format: string }) => {
      checkArgs(create, create.args, 1, 1);
      await createAction(create.args[0] ?? "", opts);
    });

  const list = disk.command("list").alias("ls").usage("[DISK...]").summary("List existing Lima disks").description("List existing Lima disks").argument("[args...]");
  boolFlag(list, "--json", "JSONify output");
  list.action(async (_a: string[], opts: { json?: boolean }) => listAction(list.args, opts));

  const del = disk
    .command("delete")
    .aliases(["remove", "rm"])
    .usage("DISK [DISK, ...]")
    .summary("Delete one or more Lima disks")
    .description("Delete one or more Lima disks")
    .argument("[args...]");
  boolFlag(del, "-f, --force", "Force delete");
  del.action(async (_a: string[], opts: { force?: boolean }) => {
    checkArgs(del, del.args, 1);
    await deleteAction(del.args, opts);
  });

  const unlock = disk
    .command("unlock")
    .usage("DISK [DISK, ...]")
    .summary("Unlock one or more Lima disks")
    .description("Unlock one or more Lima disks\nEmergency recovery! If an instance is force stopped, it may leave a disk locked while not actually using it.")
    .argument("[args...]")
    .action(async () => {
      checkArgs(unlock, unlock.args, 1);
      await unlockAction(unlock.args);
    });

  const resize = disk
    .command("resize")
    .usage("DISK")
    .summary("Resize existing Lima disk")
    .description("Resize existing Lima disk")
    .argument("[args...]")
    .option("--size <size>", "Disk size")
    .action(async (_a: string[], opts: { size?: string }) => {
      checkArgs(resize, resize.args, 1, 1);
      await resizeAction(resize.args[0] ?? "", opts);
    });

  const imp = disk
    .command("import")
    .usage("DISK FILE")
    .summary("Import an existing disk to Lima")
    .description("Import an existing disk to Lima")
    .argument("[args...]")
    .action(async () => {
      checkArgs(imp, imp.args, 2, 2);
      await importAction(imp.args[0] ?? "", imp.args[1] ?? "");
    });
  return disk;
}
