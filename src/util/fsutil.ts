// Existence checks that tell "missing" apart from real I/O errors.
import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { isErrno } from "./errors.js";

/** True if the path exists (following symlinks); false only for ENOENT, other errors throw. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if (isErrno(err, "ENOENT")) return false;
    throw err;
  }
}

/** True if the path itself exists, even as a dangling symlink. */
export function lstatExists(file: string): boolean {
  try {
    // throwIfNoEntry: a missing file is the common answer and an exception per check is slow.
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** The file's text, or undefined when it does not exist; other errors throw. */
export function readFileIfExists(file: string): string | undefined {
  // existsSync first: `limactl ls` checks several usually-missing files per instance, and a
  // thrown ENOENT costs far more than the extra stat.
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    throw err;
  }
}

/** Lima's test for plugins and driver programs: a regular file (symlinks followed) with any execute bit (Windows: any file). */
export function isExecutableFile(file: string): boolean {
  try {
    const st = statSync(file);
    return st.isFile() && (process.platform === "win32" || (st.mode & 0o111) !== 0);
  } catch {
    return false;
  }
}
