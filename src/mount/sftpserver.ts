// Finding the host's OpenSSH `sftp-server`, which serves a mount's directory to the guest's sshfs
// (the places sshocker's DetectOpensshSftpServerBinary looks, in its order).
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import path from "node:path";

/** Homebrew's sshd symlinks: `<prefix>/Cellar/openssh/<version>/sbin/sshd` has `../libexec/sftp-server`. */
const HOMEBREW_SSHD = ["/usr/local/sbin/sshd", "/opt/homebrew/sbin/sshd"];

/** Where distributions install it. */
export const SFTP_SERVER_CANDIDATES = [
  "/usr/libexec/sftp-server", // macOS, OpenWrt
  "/usr/libexec/openssh/sftp-server", // Fedora
  "/usr/lib/sftp-server", // Debian (symlink)
  "/usr/lib/openssh/sftp-server", // Debian, Ubuntu (package openssh-sftp-server)
  "/usr/lib/ssh/sftp-server", // Alpine, Arch
];

export interface SftpServerLookup {
  /** `PATH` to search first. */
  pathEnv?: string;
  /** Prefix for the fixed locations (tests point it at a fake tree). */
  root?: string;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function besideHomebrewSSHD(root: string): string | undefined {
  for (const link of HOMEBREW_SSHD) {
    let sshd: string;
    try {
      sshd = realpathSync(path.join(root, link));
    } catch {
      continue;
    }
    const file = path.join(path.dirname(path.dirname(sshd)), "libexec", "sftp-server");
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** The first `sftp-server` found: on PATH, beside Homebrew's sshd, then in the distributions' places. */
export function findSftpServer(lookup: SftpServerLookup = {}): string | undefined {
  const root = lookup.root ?? "/";
  return (
    onPath("sftp-server", lookup.pathEnv ?? process.env.PATH ?? "") ??
    besideHomebrewSSHD(root) ??
    SFTP_SERVER_CANDIDATES.map((c) => path.join(root, c)).find(isExecutableFile)
  );
}

/** `sshfs.sftpDriver` values Lima knows. */
export const SFTP_DRIVER_BUILTIN = "builtin";
export const SFTP_DRIVER_OPENSSH = "openssh-sftp-server";

export type SftpServerChoice = { binary: string; warning?: string } | { error: string };

const INSTALL_HINT = "install OpenSSH's sftp-server on the host (Debian/Ubuntu: `apt-get install openssh-sftp-server`; Fedora: `openssh-server`; Alpine: `openssh-sftp-server`) or put `sftp-server` on PATH";

/**
 * Which SFTP server serves a mount, from its `sshfs.sftpDriver` (`field`) and the `sftp-server`
 * found. Lima's `builtin` is its own Go SFTP server, which lima-ts has not: OpenSSH's serves
 * the same protocol to the same guest sshfs, so a Lima user's file keeps working, with a warning.
 */
export function chooseSftpServer(driver: string, found: string | undefined, field: string): SftpServerChoice {
  if (driver !== "" && driver !== "auto" && driver !== SFTP_DRIVER_BUILTIN && driver !== SFTP_DRIVER_OPENSSH) {
    return { error: `field \`${field}\` has an unknown value ${JSON.stringify(driver)}: use "${SFTP_DRIVER_OPENSSH}", "${SFTP_DRIVER_BUILTIN}" or "" (auto)` };
  }
  if (!found) return { error: `no OpenSSH sftp-server found on the host (looked on PATH and in ${SFTP_SERVER_CANDIDATES.join(", ")}): ${INSTALL_HINT}` };
  if (driver === SFTP_DRIVER_BUILTIN) {
    return { binary: found, warning: `field \`${field}: ${SFTP_DRIVER_BUILTIN}\`: Lima's built-in Go SFTP server is not available in lima-ts; using OpenSSH's ${JSON.stringify(found)} instead` };
  }
  return { binary: found };
}
