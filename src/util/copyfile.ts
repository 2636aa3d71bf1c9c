// Copying VM disks: copy-on-write where the filesystem can, and never filling holes (a 100 GiB
// sparse disk must stay sparse). Node's copyFile writes every zero, so coreutils does it on Linux.
import { spawnSync } from "node:child_process";
import { constants, copyFileSync } from "node:fs";
import { LimaError } from "./errors.js";

export function copyFileSparse(src: string, dst: string): void {
  if (process.platform !== "linux") {
    copyFileSync(src, dst, constants.COPYFILE_FICLONE);
    return;
  }
  const res = spawnSync("cp", ["--reflink=auto", "--sparse=always", "--preserve=mode,timestamps", "--", src, dst], { encoding: "utf8" });
  if (res.error) throw new LimaError(`failed to copy ${JSON.stringify(src)}: ${res.error.message}`);
  if (res.status !== 0) throw new LimaError(`failed to copy ${JSON.stringify(src)} to ${JSON.stringify(dst)}: ${res.stderr.trim()}`);
}
