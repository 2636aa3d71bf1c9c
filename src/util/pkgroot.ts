// The installation prefix: the directory holding `bin/limactl` and `share/lima`. Lima finds its
// templates and guest agents under `<prefix>/share/lima`; we do the same from our own location.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "share", "lima")) || !existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find the lima-ts installation prefix (share/lima)");
    dir = parent;
  }
  cached = dir;
  return dir;
}

export function shareDir(): string {
  return path.join(packageRoot(), "share", "lima");
}
