// PID files as Lima reads them: decimal PID + newline; a dead process's file is stale and removed.
import { rmSync } from "node:fs";
import { isErrno, LimaError } from "../util/errors.js";
import { readFileIfExists } from "../util/fsutil.js";

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}

/** 0 when the file is missing or names a dead process (the stale file is then deleted). */
export function readPidFile(file: string): number {
  const text = readFileIfExists(file);
  if (text === undefined) return 0;
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || String(pid) !== text.trim()) {
    throw new LimaError(`error parsing pid file ${JSON.stringify(file)}: invalid pid ${JSON.stringify(text.trim())}`);
  }
  if (isProcessAlive(pid)) return pid;
  rmSync(file, { force: true });
  return 0;
}
