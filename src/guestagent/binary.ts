// Host side: where the guest agent for a guest architecture is installed, as Lima looks for it
// (`<prefix>/share/lima/lima-guestagent.Linux-<arch>`, or the same gzip-compressed with `.gz`).
import { existsSync } from "node:fs";
import path from "node:path";
import { shareDir } from "../util/pkgroot.js";

export type GuestArch = "x86_64" | "aarch64";

export function guestAgentFileName(arch: GuestArch): string {
  return `lima-guestagent.Linux-${arch}`;
}

/** The agent's path (plain preferred over `.gz`), or undefined when neither exists. */
export function guestAgentBinaryPath(arch: GuestArch, dir: string = shareDir()): string | undefined {
  const plain = path.join(dir, guestAgentFileName(arch));
  return [plain, `${plain}.gz`].find((file) => existsSync(file));
}
