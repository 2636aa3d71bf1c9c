// Which sources are local files, and how their names become absolute paths (Lima: IsLocal, canonicalLocalPath).
import os from "node:os";
import path from "node:path";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

/** No scheme at all, or `file://`. */
export function isLocal(source: string): boolean {
  return !source.includes("://") || source.startsWith("file://");
}

/** `file://` needs an absolute path; otherwise `~` and `~/...` are expanded and relative paths made absolute. */
export function canonicalLocalPath(source: string): string {
  if (source === "") throw new LimaError("got empty path");
  if (!isLocal(source)) throw new LimaError(`got non-local path: ${q(source)}`);
  if (source.startsWith("file://")) {
    const rest = source.slice("file://".length);
    if (!path.isAbsolute(rest)) throw new LimaError(`got non-absolute path ${q(rest)}`);
    return rest;
  }
  return expandTilde(source);
}

function expandTilde(source: string): string {
  if (!source.startsWith("~")) return path.resolve(source);
  if (source !== "~" && !source.startsWith("~/")) throw new LimaError(`unexpandable path ${q(source)}`);
  return path.resolve(os.homedir() + source.slice(1));
}

/** Go's path.Ext: the suffix from the last dot of the last element (`.xz` for `a/b.img.xz`, also `.xz` for `a/.xz`). */
export function goExt(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot < 0 ? "" : base.slice(dot);
}
