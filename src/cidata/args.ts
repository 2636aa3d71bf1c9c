// Everything the cidata files are rendered from (Lima's cidata.TemplateArgs), derived from the
// defaults-filled lima.yaml plus what the host agent knows at start (ports, IID, keys).
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { LimaYAML, Mount, OS } from "../config/types.js";
import { parseSize } from "../config/size.js";
import { validateIdentifier } from "../identifiers/validate.js";
import type { Instance } from "../store/instance.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { guestEnvironment, type ResolveHost } from "./env.js";
import { macAddress, mountTag } from "./mac.js";

export const SLIRP_NIC_NAME = "eth0";
export const SLIRP_GATEWAY = "192.168.5.2";
const SLIRP_DNS = "192.168.5.3";
export const SLIRP_IP_ADDRESS = "192.168.5.15";
export const NERDCTL_ARCHIVE = "nerdctl-full.tgz";

export interface CidataMount {
  tag: string;
  mountPoint: string;
  type: string;
  options: string;
}

export interface CidataDisk {
  name: string;
  device: string;
  format: boolean;
  fsType: string;
  fsArgs: string[];
}

export interface CidataNetwork {
  macAddress: string;
  interface: string;
  metric: number;
  /** `IP/bits` configured statically (a user-v2 NIC of lima-ts); otherwise DHCP. */
  address?: string;
}

/** A data or yq provision: its file is `provision.<mode>/<fileName>`. */
export interface ProvisionFileArgs {
  fileName: string;
  owner: string;
  path: string;
  permissions: string;
}

export interface TemplateArgs {
  debug: boolean;
  os: OS;
  arch: string;
  name: string;
  hostname: string;
  iid: string;
  user: string;
  comment: string;
  home: string;
  shell: string;
  uid: number;
  passwordlessSudo: boolean;
  sshPubKeys: string[];
  mounts: CidataMount[];
  /** `reverse-sshfs`, `9p`, `virtiofs`, or empty. */
  mountType: string;
  hostHomeMountPoint: string;
  disks: CidataDisk[];
  guestInstallPrefix: string;
  upgradePackages: boolean;
  containerd: { system: boolean; user: boolean; archive: string };
  networks: CidataNetwork[];
  slirpGateway: string;
  slirpDNS: string;
  slirpIPAddress: string;
  udpDNSLocalPort: number;
  tcpDNSLocalPort: number;
  dnsAddresses: string[];
  env: Record<string, string>;
  param: Record<string, string>;
  dataFiles: (ProvisionFileArgs & { overwrite: boolean })[];
  yqProvisions: (ProvisionFileArgs & { format: string })[];
  /** undefined: no `ca_certs` section. Each trusted cert is a list of trimmed, non-empty lines. */
  caCerts?: { removeDefaults: boolean; trusted: string[][] };
  /** `mode: boot` provisions, each split into lines. */
  bootCmds: string[][];
  rosettaEnabled: boolean;
  rosettaBinFmt: boolean;
  skipDefaultDependencyResolution: boolean;
  vmType: string;
  vsockPort: number;
  virtioPort: string;
  plain: boolean;
  timeZone: string;
  noCloudInit: boolean;
}

/** What the host agent adds to lima.yaml at start. */
export interface StartArgs {
  iid?: string;
  udpDNSLocalPort: number;
  tcpDNSLocalPort: number;
  pubKeys: string[];
  debug: boolean;
  vsockPort: number;
  virtioPort: string;
  noCloudInit: boolean;
  rosettaEnabled: boolean;
  rosettaBinFmt: boolean;
  /** The first `user-v2` network: its index in `networks[]` and its gateway (subnet base + 2). */
  userV2?: { networkIndex: number; gatewayIP: string };
  /** Index in `networks[]` -> `IP/bits` of a NIC on a lima-ts user-v2 network (leased by the project). */
  usernetAddresses?: ReadonlyMap<number, string>;
}

/** Host-side inputs, gathered by `hostFacts()`; separate so that derivation stays pure. */
export interface HostFacts {
  homeDir: string;
  env: Record<string, string>;
  caCertFiles: string[];
  now: Date;
}

function configOf(inst: Instance): LimaYAML {
  if (!inst.config) throw new LimaError(`instance ${q(inst.name)} has no configuration`);
  return inst.config;
}

function slirpAddresses(y: LimaYAML, start: StartArgs): Pick<TemplateArgs, "slirpGateway" | "slirpDNS" | "slirpIPAddress"> {
  if (start.userV2) return { slirpGateway: start.userV2.gatewayIP, slirpDNS: start.userV2.gatewayIP, slirpIPAddress: "" };
  const slirpDNS = y.vmType === "vz" ? SLIRP_GATEWAY : SLIRP_DNS;
  return { slirpGateway: SLIRP_GATEWAY, slirpDNS, slirpIPAddress: SLIRP_IP_ADDRESS };
}

/** Go's unicode.IsPrint: graphic characters and the ASCII space only. */
export function removeControlChars(s: string): string {
  return [...s].filter((ch) => /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(ch)).join("");
}

function guestFSType(y: LimaYAML): string {
  switch (y.mountType) {
    case "reverse-sshfs":
      return "sshfs";
    case "9p":
      return y.os === "FreeBSD" ? "p9fs" : "9p";
    case "virtiofs":
      return "virtiofs";
    default:
      return "";
  }
}

function mountOptions(m: Mount, fsType: string, guestOS: OS | undefined): string {
  if (fsType !== "9p" && fsType !== "p9fs" && fsType !== "virtiofs") return guestOS === "Linux" ? "defaults" : "rw";
  let options = m.writable ? "rw" : "ro";
  if (fsType === "9p") {
    const ninep = m["9p"] ?? {};
    let msize: number;
    try {
      msize = parseSize(ninep.msize ?? "");
    } catch (err) {
      throw new LimaError(`failed to parse msize for ${q(m.location)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    options += `,trans=virtio,version=${ninep.protocolVersion ?? ""},msize=${msize},cache=${ninep.cache ?? ""}`;
  }
  if (guestOS === "Linux") options += ",nofail";
  if (guestOS === "FreeBSD") options += ",failok";
  return options;
}

function mounts(y: LimaYAML): CidataMount[] {
  const fsType = guestFSType(y);
  return (y.mounts ?? []).map((m) => {
    const mountPoint = m.mountPoint ?? m.location;
    return { tag: mountTag(m.location, mountPoint), mountPoint, type: fsType, options: mountOptions(m, fsType, y.os) };
  });
}

function disks(y: LimaYAML): CidataDisk[] {
  return (y.additionalDisks ?? []).map((d, i) => ({
    name: d.name,
    device: `vd${String.fromCharCode("b".charCodeAt(0) + i)}`,
    format: d.format ?? true,
    fsType: d.fsType ?? "",
    fsArgs: d.fsArgs ?? [],
  }));
}

function networks(inst: Instance, y: LimaYAML, start: StartArgs): CidataNetwork[] {
  const list: CidataNetwork[] = [{ macAddress: macAddress(inst.dir), interface: SLIRP_NIC_NAME, metric: 200 }];
  (y.networks ?? []).forEach((nw, i) => {
    if (i === start.userV2?.networkIndex) return;
    const address = start.usernetAddresses?.get(i);
    list.push({ macAddress: nw.macAddress ?? "", interface: nw.interface ?? "", metric: nw.metric ?? 100, ...(address ? { address } : {}) });
  });
  return list;
}

function dnsSetup(y: LimaYAML, start: StartArgs, slirpDNS: string): Pick<TemplateArgs, "dnsAddresses" | "udpDNSLocalPort" | "tcpDNSLocalPort"> {
  const none = { udpDNSLocalPort: 0, tcpDNSLocalPort: 0 };
  if ((y.dns ?? []).length > 0) return { ...none, dnsAddresses: [...(y.dns ?? [])] };
  if (start.userV2 || y.vmType === "vz") return { ...none, dnsAddresses: [slirpDNS] };
  if (y.hostResolver?.enabled) {
    return { udpDNSLocalPort: start.udpDNSLocalPort, tcpDNSLocalPort: start.tcpDNSLocalPort, dnsAddresses: [slirpDNS] };
  }
  // Lima asks macOS for the host's DNS servers here; other hosts leave the guest's DNS alone.
  return { ...none, dnsAddresses: [] };
}

function certLines(pem: string): string[] {
  return pem.split("\n").filter((line) => line !== "").map((line) => line.trim());
}

function caCerts(y: LimaYAML, caCertFiles: string[]): TemplateArgs["caCerts"] {
  const removeDefaults = y.caCerts?.removeDefaults ?? false;
  const trusted = [...caCertFiles, ...(y.caCerts?.certs ?? [])].map(certLines);
  if (!removeDefaults && trusted.length === 0) return undefined;
  return { removeDefaults, trusted };
}

function provisionArgs(y: LimaYAML): Pick<TemplateArgs, "bootCmds" | "dataFiles" | "yqProvisions" | "skipDefaultDependencyResolution"> {
  const out: ReturnType<typeof provisionArgs> = { bootCmds: [], dataFiles: [], yqProvisions: [], skipDefaultDependencyResolution: false };
  (y.provision ?? []).forEach((p, i) => {
    const file = { fileName: provisionFileName(i), owner: p.owner ?? "", path: p.path ?? "", permissions: p.permissions ?? "" };
    if (p.mode === "boot") out.bootCmds.push((p.script ?? "").split("\n"));
    if (p.mode === "dependency" && p.skipDefaultDependencyResolution) out.skipDefaultDependencyResolution = true;
    if (p.mode === "data") out.dataFiles.push({ ...file, overwrite: p.overwrite ?? true });
    if (p.mode === "yq") out.yqProvisions.push({ ...file, format: p.format ?? "auto" });
  });
  return out;
}

/** `%08d` of the provision's position in the merged `provision[]`. */
export function provisionFileName(index: number): string {
  return String(index).padStart(8, "0");
}

/** Pure derivation of the template arguments. `host.env` is the already computed guest environment. */
export function deriveTemplateArgs(inst: Instance, start: StartArgs, host: HostFacts): TemplateArgs {
  const y = configOf(inst);
  const user = y.user ?? {};
  const addresses = slirpAddresses(y, start);
  const cidataMounts = mounts(y);
  const hostHome = (y.mounts ?? []).findIndex((m) => m.location === host.homeDir);
  const args: TemplateArgs = {
    debug: start.debug,
    os: y.os ?? "Linux",
    arch: y.arch ?? "",
    name: inst.name,
    hostname: inst.hostname,
    iid: start.iid ?? `iid-${Math.floor(host.now.getTime() / 1000)}`,
    user: user.name ?? "",
    comment: removeControlChars(user.comment ?? ""),
    home: user.home ?? "",
    shell: user.shell ?? "",
    uid: user.uid ?? 0,
    passwordlessSudo: user.passwordlessSudo ?? true,
    sshPubKeys: [...start.pubKeys],
    mounts: cidataMounts,
    mountType: guestFSType(y) === "" ? "" : (y.mountType ?? ""),
    hostHomeMountPoint: cidataMounts[hostHome]?.mountPoint ?? "",
    disks: disks(y),
    guestInstallPrefix: y.guestInstallPrefix ?? "/usr/local",
    upgradePackages: y.upgradePackages ?? false,
    containerd: { system: y.containerd?.system ?? false, user: y.containerd?.user ?? false, archive: NERDCTL_ARCHIVE },
    networks: networks(inst, y, start),
    ...addresses,
    ...dnsSetup(y, start, addresses.slirpDNS),
    env: host.env,
    param: { ...(y.param ?? {}) },
    caCerts: caCerts(y, host.caCertFiles),
    ...provisionArgs(y),
    rosettaEnabled: start.rosettaEnabled,
    rosettaBinFmt: start.rosettaBinFmt,
    vmType: y.vmType ?? "",
    vsockPort: start.vsockPort,
    virtioPort: start.virtioPort,
    plain: y.plain ?? false,
    timeZone: y.timezone ?? "",
    noCloudInit: start.noCloudInit,
  };
  validateTemplateArgs(args);
  return args;
}

/** Lima's ValidateTemplateArgs. */
export function validateTemplateArgs(args: TemplateArgs): void {
  validateIdentifier(args.name);
  if (args.user === "root") throw new LimaError("field User must not be `root`");
  if (args.uid === 0) throw new LimaError("field UID must not be 0");
  if (args.home === "") throw new LimaError("field Home must be set");
  if (args.shell === "") throw new LimaError("field Shell must be set");
  if (args.sshPubKeys.length === 0) throw new LimaError("no SSH key was found, run `ssh-keygen`");
  args.mounts.forEach((m, i) => {
    if (!m.mountPoint.startsWith("/")) throw new LimaError(`field mounts[${i}] must be absolute, got ${q(m.mountPoint)}`);
  });
}

function expandHome(p: string, homeDir: string): string {
  if (p === "~") return homeDir;
  return p.startsWith("~/") ? `${homeDir}${p.slice(1)}` : p;
}

/** Reads the host side: home dir, proxy environment (with loopback proxies redirected), CA cert files. */
export async function hostFacts(inst: Instance, start: StartArgs, resolve?: ResolveHost): Promise<HostFacts> {
  const y = configOf(inst);
  const homeDir = os.homedir();
  const env = await guestEnvironment({
    configEnv: y.env ?? {},
    processEnv: process.env,
    propagateProxyEnv: y.propagateProxyEnv ?? true,
    slirpGateway: slirpAddresses(y, start).slirpGateway,
    ...(resolve ? { resolve } : {}),
  });
  const caCertFiles = await Promise.all((y.caCerts?.files ?? []).map((f) => readFile(expandHome(f, homeDir), "utf8")));
  return { homeDir, env, caCertFiles, now: new Date() };
}
