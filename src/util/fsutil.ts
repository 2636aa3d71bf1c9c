// Existence checks that tell "missing" apart from real I/O errors.
import { lstatSync } from "node:fs";
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
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}
