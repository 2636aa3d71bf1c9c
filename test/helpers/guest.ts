// The locally built Debian guest the end-to-end tests boot (scripts/guest-image/build.sh, cached).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { REPO } from "./limactl.js";

/** Builds the guest image unless the cached one matches its recipe; throws with the build log on failure. */
export function ensureGuestImage(): void {
  const res = spawnSync("bash", [path.join(REPO, "scripts", "guest-image", "build.sh")], { encoding: "utf8", timeout: 30 * 60_000 });
  if (res.status !== 0) throw new Error(`building the guest image failed:\n${res.stdout}\n${res.stderr}`);
}

export const GUEST_TEMPLATE = "template:local-debian-12";
