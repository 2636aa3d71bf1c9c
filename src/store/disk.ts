// Additional-disk locks, in Lima's layout: `$LIMA_HOME/_disks/<disk>/in_use_by` is a symlink to the
// directory of the instance using the disk. A lock is only ever released or moved by the instance
// it names, so one instance can never free a disk another one is running with.
import { readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { LimaYAML } from "../config/types.js";
import { detectImageFormat, virtualSize } from "../driver/qemu/disk.js";
import { logger } from "../log/logger.js";
import { errorMessage, isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { diskDir, limaDisksDir } from "./dirnames.js";
import { DataDisk, InUseBy } from "./filenames.js";

function lockPath(disk: string): string {
  return path.join(diskDir(disk), InUseBy);
}

/** The instance directory the disk is locked for, or undefined when it is free. */
export function diskLockOwner(disk: string): string | undefined {
  try {
    return readlinkSync(lockPath(disk));
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

/** Lima's LockForInstance: takes the lock, or renews one this instance already holds. */
export function lockDiskForInstance(disk: string, instDir: string): void {
  const owner = diskLockOwner(disk);
  if (owner !== undefined && owner !== instDir) throw new LimaError(`in use by instance ${q(path.basename(owner))}`);
  pointLockAt(disk, instDir);
}

/** Replaces the symlink atomically, so the disk is never seen unlocked in between. */
function pointLockAt(disk: string, instDir: string): void {
  const file = lockPath(disk);
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(instDir, tmp);
  renameSync(tmp, file);
}

function diskNames(config: LimaYAML | undefined): string[] {
  return (config?.additionalDisks ?? []).map((d) => d.name);
}

/** The configured disks whose lock names instDir; a disk whose name is invalid is warned about and skipped. */
export function disksLockedBy(config: LimaYAML | undefined, instDir: string): string[] {
  const owned: string[] = [];
  for (const disk of diskNames(config)) {
    try {
      if (diskLockOwner(disk) === instDir) owned.push(disk);
    } catch (err) {
      logger.warn(`Failed to inspect disk ${q(disk)}: ${errorMessage(err)}`);
    }
  }
  return owned;
}

/** Releases the locks the instance holds on its additional disks; returns the disks released. */
export function releaseDiskLocks(inst: { dir: string; config?: LimaYAML }): string[] {
  const released: string[] = [];
  for (const disk of disksLockedBy(inst.config, inst.dir)) {
    try {
      rmSync(lockPath(disk));
      released.push(disk);
    } catch (err) {
      logger.warn(`Failed to unlock disk ${q(disk)}: ${errorMessage(err)}`);
    }
  }
  return released;
}

/** Points the locks of disks (from disksLockedBy before the move) at the instance's new directory. */
export function moveDiskLocks(disks: string[], newDir: string): void {
  for (const disk of disks) {
    try {
      pointLockAt(disk, newDir);
    } catch (err) {
      throw new LimaError(`failed to point ${q(lockPath(disk))} at ${q(newDir)}: ${errorMessage(err)}`, { cause: err });
    }
  }
}

/** Lima's store.Disk, in its JSON key order (`limactl disk list --json`). */
export interface DiskInfo {
  name: string;
  /** Virtual size in bytes. */
  size: number;
  format: string;
  dir: string;
  /** The instance holding the lock, "" when free. */
  instance: string;
  instanceDir: string;
  mountPoint: string;
  fsType?: string;
}

/** Names of the entries of `$LIMA_HOME/_disks` (Lima's store.Disks), in directory order. */
export function allDiskNames(): string[] {
  try {
    return readdirSync(limaDisksDir()).sort();
  } catch (err) {
    if (isErrno(err, "ENOENT")) return [];
    throw err;
  }
}

/** Where the guest mounts the disk; `[SWAP]` for a swap disk (only used in messages). */
export function diskMountPoint(disk: string, fsType?: string): string {
  return fsType === "swap" ? "[SWAP]" : `/mnt/lima-${disk}`;
}

/** Lima's InspectDisk: size and format from the image itself, the lock from `in_use_by`. Throws ENOENT when there is no `datadisk`. */
export async function inspectDisk(name: string, fsType?: string): Promise<DiskInfo> {
  const dir = diskDir(name);
  const dataDisk = path.join(dir, DataDisk);
  await stat(dataDisk);
  const owner = diskLockOwner(name);
  const disk: DiskInfo = {
    name,
    size: await virtualSize(dataDisk),
    format: await detectImageFormat(dataDisk),
    dir,
    instance: owner === undefined ? "" : path.basename(owner),
    instanceDir: owner ?? "",
    mountPoint: diskMountPoint(name, fsType),
  };
  if (fsType !== undefined) disk.fsType = fsType;
  return disk;
}

/** Removes the lock whoever holds it (`limactl disk unlock`: the caller checks the owner is not running). */
export function unlockDisk(name: string): void {
  rmSync(lockPath(name));
}
