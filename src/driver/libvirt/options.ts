// What the libvirt driver reads from lima.yaml (`vmOpts.libvirt`), what a connection URI says
// about where the domain runs, and what virsh's answers mean. Pure.
import { createHash } from "node:crypto";
import path from "node:path";
import type { LimaYAML } from "../../config/types.js";
import type { Status } from "../../store/instance.js";
import { LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";

/** `vmOpts.libvirt` (Lima keeps unknown `vmOpts` keys, so a lima.yaml with it stays valid for Lima). */
export interface LibvirtOpts {
  /** Connection URI; default: libvirt's own (LIBVIRT_DEFAULT_URI, libvirt.conf, qemu:///system for root, qemu:///session otherwise). */
  uri?: string;
  /** A libvirt network (`virsh net-list`) for a second NIC. */
  network?: string;
  /** Storage pool the instance's files are uploaded into; default "default" for a remote URI, none (files used in place) locally. */
  pool?: string;
  /** Where the host agent reaches the guest's forwarded SSH port; default 127.0.0.1, or the URI's host when remote. */
  sshAddress?: string;
}

const OPTION_KEYS: readonly (keyof LibvirtOpts)[] = ["uri", "network", "pool", "sshAddress"];

/** `vmOpts.libvirt`, checked: every key known, every value a non-empty string. */
export function libvirtOpts(config: LimaYAML): LibvirtOpts {
  const raw = config.vmOpts?.libvirt;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new LimaError("field `vmOpts.libvirt` must be a map (keys: uri, network, pool, sshAddress)");
  const opts: LibvirtOpts = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new LimaError(`field \`vmOpts.libvirt.${key}\` is unknown; the libvirt driver knows ${OPTION_KEYS.map((k) => q(k)).join(", ")}`);
    }
    if (typeof value !== "string" || value === "") throw new LimaError(`field \`vmOpts.libvirt.${key}\` must be a non-empty string, got ${JSON.stringify(value)}`);
    opts[key as keyof LibvirtOpts] = value;
  }
  return opts;
}

export interface Connection {
  uri: string;
  /** The hypervisor runs on another host: files travel as storage volumes, SSH goes to that host. */
  remote: boolean;
  /** The host name of a remote URI (`qemu+ssh://user@host:port/system` -> `host`). */
  host?: string;
  /** The privileged daemon (`/system`), which runs QEMU as another user unless told otherwise. */
  system: boolean;
}

/** What a libvirt URI says (`qemu:///system`, `qemu+ssh://user@host/system?keyfile=...`). */
export function parseConnection(uri: string): Connection {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (err) {
    throw new LimaError(`field \`vmOpts.libvirt.uri\`: ${q(uri)} is not a libvirt URI (e.g. qemu:///system, qemu+ssh://user@host/system)`, { cause: err });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { uri, remote: host !== "", ...(host !== "" ? { host } : {}), system: url.pathname === "/system" };
}

/** Per instance directory, so instances of the same name in two LIMA_HOMEs do not share a domain. */
function instanceDigest(instDir: string): string {
  return createHash("sha256").update(path.resolve(instDir)).digest("hex");
}

/** `lima-<name>-<8 hex digits of the instance directory>`. */
export function domainName(instName: string, instDir: string): string {
  return `lima-${instName}-${instanceDigest(instDir).slice(0, 8)}`;
}

/** A version-4-shaped UUID fixed per instance directory (`virsh define` keeps a domain's UUID). */
export function domainUUID(instDir: string): string {
  const hex = instanceDigest(instDir);
  const variant = ((parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `virsh domstate` without the reason: `running`, `shut off`, `paused`, `in shutdown`, `crashed`, `pmsuspended`, ... */
export function domainStateName(output: string): string {
  return output.trim().replace(/\s*\(.*\)$/, "");
}

/** A domain in these states has a QEMU process. */
export function isActiveState(state: string): boolean {
  return ["running", "idle", "paused", "in shutdown", "pmsuspended", "blocked"].includes(domainStateName(state));
}

/** The instance status a domain state means; an undefined domain has never been started. */
export function statusOfDomain(state: string | undefined): Status {
  return state !== undefined && isActiveState(state) ? "Running" : "Stopped";
}

/**
 * `virsh snapshot-list` as the QEMU driver lists snapshots (`ID TAG ...`), so that tools reading
 * the tag from the second column work with either driver.
 */
export function formatSnapshotList(virshOutput: string): string {
  const rows = virshOutput.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^Name\s+Creation Time/.test(l) && !/^-+$/.test(l));
  if (rows.length === 0) return "";
  const parsed = rows.map((row, i) => {
    const fields = row.split(/\s+/);
    const [name = "", ...rest] = fields;
    const state = rest.length > 0 ? (rest[rest.length - 1] as string) : "";
    return { id: String(i + 1), name, date: rest.slice(0, -1).join(" "), state };
  });
  const width = (pick: (r: (typeof parsed)[number]) => string, header: string): number => Math.max(header.length, ...parsed.map((r) => pick(r).length));
  const idW = width((r) => r.id, "ID");
  const tagW = width((r) => r.name, "TAG");
  const dateW = width((r) => r.date, "DATE");
  const line = (id: string, tag: string, date: string, state: string): string => `${id.padEnd(idW)}  ${tag.padEnd(tagW)}  ${date.padEnd(dateW)}  ${state}`.trimEnd();
  return [line("ID", "TAG", "DATE", "STATE"), ...parsed.map((r) => line(r.id, r.name, r.date, r.state))].join("\n") + "\n";
}
