// `limactl clone` / `limactl rename`: copy or move an instance directory without its runtime
// files, into a staging directory first so an interrupted clone leaves no half instance.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { instanceDir } from "../store/dirnames.js";
import { disksLockedBy, moveDiskLocks } from "../store/disk.js";
import { Protected, TmpFileSuffixes, VzIdentifier } from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { inspect } from "../store/store.js";
import { copyFileSparse } from "../util/copyfile.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { checkSocketPathLength } from "./create.js";
import { CONFIG_CACHE_FILE } from "../store/configcache.js";

// The filled-config cache names its own directory: a copy would never match.
const SKIPPED = new Set([Protected, "swtpm", CONFIG_CACHE_FILE]);

function copyTree(src: string, dst: string): void {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || TmpFileSuffixes.some((s) => entry.name.endsWith(s))) continue;
    const from = path.join(src, entry.name);
    const to = path.join(dst, entry.name);
    if (entry.name === VzIdentifier) {
      writeFileSync(to, "", { mode: 0o666 });
    } else if (entry.isDirectory()) {
      mkdirSync(to, { mode: statSync(from).mode & 0o777 });
      copyTree(from, to);
    } else if (entry.isFile()) {
      copyFileSparse(from, to);
    }
  }
}

export type CloneMode = "clone" | "rename";

export async function cloneInstance(old: Instance, newName: string, mode: CloneMode): Promise<Instance> {
  if (old.name === newName) throw new LimaError(`new instance name ${q(newName)} must be different from ${q(old.name)}`);
  if (old.status === "Running") throw new LimaError(`cannot ${mode} a running instance`);
  const dst = instanceDir(newName);
  if (existsSync(dst)) throw new LimaError(`instance ${q(newName)} already exists`);
  checkSocketPathLength(newName);
  if (mode === "rename") {
    // A lock left by a host agent that did not shut down must keep naming the instance.
    const lockedDisks = disksLockedBy(old.config, old.dir);
    renameSync(old.dir, dst);
    moveDiskLocks(lockedDisks, dst);
    for (const entry of readdirSync(dst)) {
      if (entry === Protected || TmpFileSuffixes.some((s) => entry.endsWith(s))) rmSync(path.join(dst, entry), { force: true, recursive: true });
    }
    return inspect(newName);
  }
  const staging = path.join(path.dirname(dst), `.cloning-${newName}-${process.pid}`);
  mkdirSync(staging, { mode: 0o700 });
  try {
    copyTree(old.dir, staging);
    renameSync(staging, dst);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return inspect(newName);
}
