// Files of a user-v2 network under `$LIMA_HOME/_networks/<name>/` (spec: lima-runtime.md §1.5).
import path from "node:path";
import { validateIdentifier } from "../../identifiers/validate.js";
import { limaHome } from "../../store/dirnames.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";

/** sun_path on Linux, terminating NUL included. */
export const UNIX_PATH_MAX = 108;

export type SockType = "fd" | "qemu" | "ep";

export function limaNetworksDir(): string {
  return path.join(limaHome(), "_networks");
}

export function usernetDir(name: string): string {
  validateIdentifier(name);
  return path.join(limaNetworksDir(), name);
}

function checkLength(kind: string, file: string): string {
  if (file.length >= UNIX_PATH_MAX) {
    throw new LimaError(`usernet ${kind} path ${q(file)} too long: must be less than UNIX_PATH_MAX=${UNIX_PATH_MAX} characters, but is ${file.length}`);
  }
  return file;
}

/** `<name>_<type>.sock`. */
export function usernetSock(name: string, type: SockType): string {
  return checkLength("socket", path.join(usernetDir(name), `${name}_${type}.sock`));
}

export function usernetPidFile(name: string): string {
  return path.join(usernetDir(name), `usernet_${name}.pid`);
}

/** IP -> MAC, Lima's format. */
export function usernetLeasesFile(name: string): string {
  return checkLength("leases", path.join(usernetDir(name), "leases.json"));
}

/** `IP lima-<instance>.internal` lines: what the host resolvers answer for the instances on this network. */
export function usernetHostsFile(name: string): string {
  return path.join(usernetDir(name), "hosts");
}

export function usernetLog(name: string, stream: "stdout" | "stderr"): string {
  return path.join(usernetDir(name), `usernet.${name}.${stream}.log`);
}
