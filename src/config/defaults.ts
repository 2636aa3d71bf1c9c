// FillDefault: merges lima.yaml (y) with `_config/default.yaml` (d) and `_config/override.yaml` (o)
// and fills the built-in defaults. Scalars: o > y > d > built-in. Lists: o, y, d concatenated.
// Mounts and networks: d, y, o merged by mountPoint / interface. Maps: d, y, o per top-level key.
import path from "node:path";
import { isOlderThan } from "../version.js";
import { q } from "../util/goquote.js";
import { macAddress } from "./mac.js";
import { bytesSize } from "./size.js";
import { guestTemplateData, hostTemplateData, renderOrKeep, type HostFacts } from "./templatevars.js";
import type {
  Arch,
  FileRef,
  LimaYAML,
  Mount,
  Network,
  OS,
  PortForward,
  Provision,
  User,
} from "./types.js";

export interface HostUser {
  name: string;
  uid: number;
  /** Full name (GECOS). */
  comment: string;
  home: string;
}

/** Host facts the defaults depend on; `hostContext()` reads them from the real host. */
export interface FillContext {
  /** Lima arch names (`x86_64`, `aarch64`, …). */
  hostArch: string;
  /** Go GOOS (`linux`, `darwin`, `windows`). */
  hostOS: string;
  cpus: number;
  memoryBytes: number;
  user: HostUser;
  /** Version that created the instance: `lima-version`; undefined = before v0.20 (no file); VERSION for new instances. */
  instanceVersion: string | undefined;
  /** Host time zone; undefined when it cannot be determined (warned about when needed). */
  timezone: string | undefined;
  instDir: string;
  instName: string;
  limaHome: string;
  /** `$TMPDIR` or `/tmp`. */
  tempDir: string;
  /** Seed for default MAC addresses. */
  machineId: string;
  /** Value of the deprecated LIMA_SSH_OVER_VSOCK variable, if set. */
  sshOverVsockEnv?: string;
}

export interface FillOptions {
  /** Also report the warnings Lima shows only on create/edit (invalid host user name, …). */
  warn?: boolean;
  /** Receives every warning (template failures, …); the caller decides how to show them. */
  onWarning?: (message: string) => void;
}

export const DEFAULT_9P_SECURITY_MODEL = "none";
export const DEFAULT_9P_PROTOCOL_VERSION = "9p2000.L";
export const DEFAULT_9P_MSIZE = "128KiB";
export const DEFAULT_9P_CACHE_RO = "fscache";
export const DEFAULT_9P_CACHE_RW = "mmap";
export const DEFAULT_VIRTIOFS_QUEUE_SIZE = 1024;
export const DEFAULT_DISK_SIZE = "100GiB";
export const DEFAULT_GUEST_INSTALL_PREFIX = "/usr/local";
const FALLBACK_USER = "lima";
const FALLBACK_UID = 1000;
export const VALID_LINUX_USERNAME = /^[a-z_][a-z0-9_-]*$/;

/** nerdctl-full archives used when no source lists any (lima: pkg/limayaml/containerd.yaml). */
export const DEFAULT_CONTAINERD_ARCHIVES: readonly FileRef[] = [
  {
    location: "https://github.com/containerd/nerdctl/releases/download/v2.3.5/nerdctl-full-2.3.5-linux-amd64.tar.gz",
    arch: "x86_64",
    digest: "sha256:b697295c623639734aaab737523c808fd3cc8d3046039fd94fff1744e4c317aa",
  },
  {
    location: "https://github.com/containerd/nerdctl/releases/download/v2.3.5/nerdctl-full-2.3.5-linux-arm64.tar.gz",
    arch: "aarch64",
    digest: "sha256:6e4b687f1d138e750a3c8372abc0f81d3d7490b6359c48c0562fc7dfe98859b2",
  },
];

type Warn = (message: string) => void;

/** o if set, else y, else d (undefined = unset). */
function pick<T>(o: T | undefined, y: T | undefined, d: T | undefined): T | undefined {
  return o ?? y ?? d;
}

function concat<T>(...lists: (T[] | undefined)[]): T[] {
  return lists.flatMap((list) => structuredClone(list ?? []));
}

function mergeMaps<T>(...maps: (Record<string, T> | undefined)[]): Record<string, T> {
  return Object.assign({}, ...maps.map((m) => structuredClone(m ?? {})));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

export function resolveOS(value: string | undefined): OS {
  return value === undefined || value === "" || value === "default" ? "Linux" : (value as OS);
}

export function resolveArch(value: string | undefined, hostArch: string): Arch {
  return (value === undefined || value === "" || value === "default" ? hostArch : value) as Arch;
}

/** Default VM driver: vz on macOS, qemu elsewhere, and qemu whenever the arch is not native. */
export function defaultVMType(arch: string, ctx: Pick<FillContext, "hostArch" | "hostOS">): string {
  if (arch !== ctx.hostArch) return "qemu";
  return ctx.hostOS === "darwin" ? "vz" : "qemu";
}

export function defaultCPUs(hostCPUs: number): number {
  return Math.min(4, hostCPUs);
}

export function defaultMemory(hostMemoryBytes: number): string {
  return bytesSize(Math.min(4 * 1024 ** 3, Math.floor(hostMemoryBytes / 2)));
}

/** `>= ref` the way Lima's versionutil compares (pre-0.20 instances are older than anything). */
function atLeast(instanceVersion: string | undefined, ref: string): boolean {
  return !isOlderThan(instanceVersion, ref);
}

/**
 * The guest user derived from the host user (used for fields no source sets).
 * Deviation from Lima: a root host user (uid 0) maps to `lima`/1000, because a guest user
 * named `root` with uid 0 cannot be created by cloud-init and would break the instance.
 */
function derivedUser(ctx: FillContext, guestOS: OS, warn: Warn, verbose: boolean): Required<Pick<User, "name" | "comment" | "home" | "uid">> {
  let name = ctx.user.name;
  let uid = ctx.user.uid;
  if (uid === 0) {
    if (verbose) warn(`local user ${q(name)} is root; using ${q(FALLBACK_USER)} with uid ${FALLBACK_UID} in the guest instead`);
    name = FALLBACK_USER;
    uid = FALLBACK_UID;
  } else if (!VALID_LINUX_USERNAME.test(name)) {
    if (verbose) {
      warn(`local username ${q(name)} is not a valid Linux username (must match ${q(VALID_LINUX_USERNAME.source)}); using ${q(FALLBACK_USER)} instead`);
    }
    name = FALLBACK_USER;
  }
  if (atLeast(ctx.instanceVersion, "1.0.0") && name === "admin") {
    if (verbose) warn(`local username ${q(name)} is reserved; using ${q(FALLBACK_USER)} instead`);
    name = FALLBACK_USER;
  }
  return { name, comment: ctx.user.comment, home: defaultHomeTemplate(guestOS, ctx.instanceVersion), uid };
}

/** `.guest` homes since 2.1.0 (and for unknown dev builds); `.linux` before; `/Users/…` for macOS guests. */
export function defaultHomeTemplate(guestOS: OS, instanceVersion: string | undefined): string {
  if (guestOS === "Darwin") return "/Users/{{.User}}.guest";
  return atLeast(instanceVersion, "2.1.0") ? "/home/{{.User}}.guest" : "/home/{{.User}}.linux";
}

function defaultShell(guestOS: OS): string {
  switch (guestOS) {
    case "FreeBSD":
      return "/bin/sh";
    case "Darwin":
      return "/bin/zsh";
    case "Windows":
      return "cmd.exe";
    default:
      return "/bin/bash";
  }
}

/** Go's filepath.Clean for POSIX paths. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const normalized = path.posix.normalize(p);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/** `~` and `~/…` become absolute below `home`; other paths are left alone. */
export function expandTilde(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return p;
}

class Filler {
  private readonly warnFn: Warn;
  private readonly verbose: boolean;
  private readonly hostFacts: HostFacts;

  constructor(
    private readonly y: LimaYAML,
    private readonly d: LimaYAML,
    private readonly o: LimaYAML,
    private readonly filePath: string,
    private readonly ctx: FillContext,
    options: FillOptions,
  ) {
    this.warnFn = options.onWarning ?? (() => {});
    this.verbose = options.warn ?? false;
    this.hostFacts = { ...ctx, user: ctx.user };
  }

  private warn = (message: string): void => this.warnFn(message);

  private guestData() {
    const user = this.y.user ?? {};
    return guestTemplateData(
      this.ctx.instName,
      { name: user.name ?? "", uid: user.uid ?? 0, home: user.home ?? "" },
      this.y.param ?? {},
    );
  }

  private guest(text: string, what: string): string {
    return renderOrKeep(text, this.guestData(), what, this.warn);
  }

  private host(text: string, what: string): string {
    return renderOrKeep(text, hostTemplateData(this.hostFacts, this.y.param ?? {}), what, this.warn);
  }

  fill(): void {
    const { y, d, o } = this;
    // Params first, so every template below sees the merged set.
    y.param = mergeMaps(d.param, y.param, o.param);
    y.os = resolveOS(pick(o.os, y.os, d.os));
    this.fillUser();
    y.arch = resolveArch(pick(o.arch, y.arch, d.arch), this.ctx.hostArch);
    y.vmType = pick(o.vmType, y.vmType, d.vmType) ?? defaultVMType(y.arch, this.ctx);
    this.fillImages();
    const cpus = pick(o.cpus, y.cpus, d.cpus);
    y.cpus = cpus === undefined || cpus === 0 ? defaultCPUs(this.ctx.cpus) : cpus;
    const memory = pick(o.memory, y.memory, d.memory);
    y.memory = memory === undefined || memory === "" ? defaultMemory(this.ctx.memoryBytes) : memory;
    const disk = pick(o.disk, y.disk, d.disk);
    y.disk = disk === undefined || disk === "" ? DEFAULT_DISK_SIZE : disk;
    y.additionalDisks = concat(o.additionalDisks, y.additionalDisks, d.additionalDisks).map((disk) => ({
      ...disk,
      format: disk.format ?? true,
      fsType: disk.fsType ?? "ext4",
    }));
    this.fillDevices();
    this.fillSSH();
    y.hostResolver = {
      ...y.hostResolver,
      enabled: pick(o.hostResolver?.enabled, y.hostResolver?.enabled, d.hostResolver?.enabled) ?? true,
      ipv6: pick(o.hostResolver?.ipv6, y.hostResolver?.ipv6, d.hostResolver?.ipv6) ?? false,
      hosts: mergeMaps(d.hostResolver?.hosts, y.hostResolver?.hosts, o.hostResolver?.hosts),
    };
    this.fillProvision();
    y.guestInstallPrefix = pick(o.guestInstallPrefix, y.guestInstallPrefix, d.guestInstallPrefix) ?? DEFAULT_GUEST_INSTALL_PREFIX;
    y.upgradePackages = pick(o.upgradePackages, y.upgradePackages, d.upgradePackages) ?? false;
    this.fillContainerd();
    this.fillProbes();
    y.portForwards = concat(o.portForwards, y.portForwards, d.portForwards).map((rule) => this.portForward(rule));
    y.copyToHost = concat(o.copyToHost, y.copyToHost, d.copyToHost).map((rule) => ({
      ...rule,
      guest: rule.guest ? this.guest(rule.guest, "guest") : rule.guest,
      host: rule.host ? this.host(rule.host, "host") : rule.host,
    }));
    y.propagateProxyEnv = pick(o.propagateProxyEnv, y.propagateProxyEnv, d.propagateProxyEnv) ?? true;
    this.fillNetworks();
    y.mountTypesUnsupported = concat(o.mountTypesUnsupported, y.mountTypesUnsupported, d.mountTypesUnsupported);
    const mountType = pick(o.mountType, y.mountType, d.mountType);
    if (mountType !== undefined) y.mountType = mountType;
    y.mountInotify = pick(o.mountInotify, y.mountInotify, d.mountInotify) ?? false;
    this.fillMounts();
    // DNS lists are not combined: the highest-priority non-empty list wins.
    y.dns = [o.dns, y.dns, d.dns].find((list) => list !== undefined && list.length > 0) ?? [];
    y.env = mergeMaps(d.env, y.env, o.env);
    y.vmOpts = mergeMaps<unknown>(d.vmOpts, y.vmOpts, o.vmOpts);
    y.caCerts = {
      ...y.caCerts,
      removeDefaults: pick(o.caCerts?.removeDefaults, y.caCerts?.removeDefaults, d.caCerts?.removeDefaults) ?? false,
      files: unique(concat(d.caCerts?.files, y.caCerts?.files, o.caCerts?.files)),
      certs: unique(concat(d.caCerts?.certs, y.caCerts?.certs, o.caCerts?.certs)),
    };
    y.nestedVirtualization = pick(o.nestedVirtualization, y.nestedVirtualization, d.nestedVirtualization) ?? false;
    y.plain = pick(o.plain, y.plain, d.plain) ?? false;
    y.tpm = pick(o.tpm, y.tpm, d.tpm) ?? false;
    y.osOpts = mergeMaps<unknown>(d.osOpts, y.osOpts, o.osOpts);
    this.fillTimezone();
    fixUpForPlainMode(y);
  }

  private fillUser(): void {
    const { y, d, o } = this;
    const guestOS = resolveOS(y.os);
    const user: User = {};
    for (const key of ["name", "comment", "home", "shell", "uid", "passwordlessSudo"] as const) {
      const value = pick(o.user?.[key], y.user?.[key], d.user?.[key]);
      if (value !== undefined) (user as Record<string, unknown>)[key] = value;
    }
    if (user.name === undefined || user.comment === undefined || user.home === undefined || user.uid === undefined) {
      const derived = derivedUser(this.ctx, guestOS, this.warn, this.verbose);
      user.name ??= derived.name;
      user.comment ??= derived.comment;
      user.home ??= derived.home;
      user.uid ??= derived.uid;
    }
    user.shell ??= defaultShell(guestOS);
    user.passwordlessSudo ??= guestOS !== "Darwin";
    y.user = user;
    // `user.home` is rendered without `.Home` (it is what is being computed).
    const data = { ...this.guestData() } as Partial<ReturnType<Filler["guestData"]>>;
    delete data.Home;
    user.home = renderOrKeep(user.home, data, "`user.home` value", this.warn);
  }

  private fillImages(): void {
    const { y, d, o } = this;
    const arch = y.arch as Arch;
    y.images = concat(o.images, y.images, d.images).map((image) => {
      const imageArch = image.arch || arch;
      const filled = { ...image, arch: imageArch };
      if (image.kernel) filled.kernel = { ...image.kernel, arch: image.kernel.arch || imageArch };
      if (image.initrd) filled.initrd = { ...image.initrd, arch: image.initrd.arch || imageArch };
      return filled;
    });
  }

  private fillDevices(): void {
    const { y, d, o } = this;
    const display = pick(o.video?.display, y.video?.display, d.video?.display);
    const vncDisplay = pick(o.video?.vnc?.display, y.video?.vnc?.display, d.video?.vnc?.display);
    y.audio = {
      device: pick(o.audio?.device, y.audio?.device, d.audio?.device) ?? "",
      interface: pick(o.audio?.interface, y.audio?.interface, d.audio?.interface) ?? "",
    };
    y.video = { display: display === undefined || display === "" ? "none" : display, vnc: vncDisplay === undefined ? {} : { display: vncDisplay } };
    y.firmware = {
      legacyBIOS: pick(o.firmware?.legacyBIOS, y.firmware?.legacyBIOS, d.firmware?.legacyBIOS) ?? false,
      images: concat(o.firmware?.images, y.firmware?.images, d.firmware?.images).map((f) => ({ ...f, arch: f.arch || (y.arch as Arch) })),
    };
  }

  private fillSSH(): void {
    const { y, d, o } = this;
    const ssh = { ...y.ssh };
    ssh.localPort = pick(o.ssh?.localPort, y.ssh?.localPort, d.ssh?.localPort) ?? 0;
    for (const key of ["loadDotSSHPubKeys", "forwardAgent", "forwardX11", "forwardX11Trusted"] as const) {
      ssh[key] = pick(o.ssh?.[key], y.ssh?.[key], d.ssh?.[key]) ?? false;
    }
    // overVsock stays unset unless configured: its default depends on the driver.
    const overVsock = pick(o.ssh?.overVsock, y.ssh?.overVsock, d.ssh?.overVsock);
    if (overVsock !== undefined) ssh.overVsock = overVsock;
    const env = this.ctx.sshOverVsockEnv;
    if (env !== undefined && env !== "") {
      this.warn("The environment variable LIMA_SSH_OVER_VSOCK is deprecated in favor of the YAML field .ssh.overVsock");
      const parsed = parseGoBool(env);
      if (parsed === undefined) this.warn(`invalid LIMA_SSH_OVER_VSOCK value ${q(env)}`);
      else ssh.overVsock = parsed;
    }
    y.ssh = ssh;
  }

  private fillProvision(): void {
    const { y, d, o } = this;
    y.provision = concat(o.provision, y.provision, d.provision).map((p) => this.provision(p));
  }

  private provision(p: Provision): Provision {
    const out: Provision = { ...p, mode: p.mode || "system" };
    if (out.mode === "dependency") out.skipDefaultDependencyResolution ??= false;
    if (out.mode === "data") {
      out.content = out.content === undefined ? "" : this.guest(out.content, "data content");
      out.overwrite ??= true;
    }
    if (out.mode === "yq") {
      if (out.expression !== undefined) out.expression = this.guest(out.expression, "expression");
      out.format ??= "auto";
    }
    if (out.mode === "data" || out.mode === "yq") {
      const unixOwner = this.y.os === "Darwin" || this.y.os === "FreeBSD" ? "root:wheel" : "root:root";
      out.owner = out.owner === undefined ? unixOwner : this.guest(out.owner, "owner");
      if (out.path !== undefined) out.path = this.guest(out.path, "path");
      out.permissions ??= "644";
    }
    out.script ??= "";
    if (out.script !== "") out.script = this.guest(out.script, "provisioning script");
    return out;
  }

  private fillContainerd(): void {
    const { y, d, o } = this;
    const nerdctlArch = y.arch === "x86_64" || y.arch === "aarch64";
    let archives = concat(o.containerd?.archives, y.containerd?.archives, d.containerd?.archives);
    if (archives.length === 0) archives = structuredClone([...DEFAULT_CONTAINERD_ARCHIVES]);
    y.containerd = {
      system: pick(o.containerd?.system, y.containerd?.system, d.containerd?.system) ?? false,
      user: pick(o.containerd?.user, y.containerd?.user, d.containerd?.user) ?? (y.os === "Linux" && nerdctlArch),
      archives: archives.map((f) => ({ ...f, arch: f.arch || (y.arch as Arch) })),
    };
  }

  private fillProbes(): void {
    const { y, d, o } = this;
    const probes = concat(o.probes, y.probes, d.probes);
    y.probes = probes.map((probe, i) => ({
      ...probe,
      mode: probe.mode || "readiness",
      description: probe.description || `user probe ${i + 1}/${probes.length}`,
      script: this.guest(probe.script ?? "", "probing script"),
    }));
  }

  private portForward(rule: PortForward): PortForward {
    const out: PortForward = { ...rule, proto: rule.proto || "any" };
    out.guestIP ??= out.guestIPMustBeZero === true ? "0.0.0.0" : "127.0.0.1";
    out.guestIPMustBeZero ??= isIPv4Zero(out.guestIP);
    out.hostIP ??= "127.0.0.1";
    const guestPort = out.guestPort ?? 0;
    if (isZeroRange(out.guestPortRange)) out.guestPortRange = guestPort === 0 ? [1, 65535] : [guestPort, guestPort];
    if (out.guestSocket) out.guestSocket = this.guest(out.guestSocket, "guestSocket");
    if (out.hostSocket) {
      out.hostSocket = this.host(out.hostSocket, "hostSocket");
      if (!path.isAbsolute(out.hostSocket)) out.hostSocket = path.join(this.ctx.instDir, "sock", out.hostSocket);
    } else if (isZeroRange(out.hostPortRange)) {
      const hostPort = out.hostPort ?? 0;
      out.hostPortRange = hostPort === 0 ? [...(out.guestPortRange as [number, number])] : [hostPort, hostPort];
    }
    return out;
  }

  private fillNetworks(): void {
    const { y, d, o } = this;
    const merged: Network[] = [];
    const byInterface = new Map<string, Network>();
    for (const nw of concat(d.networks, y.networks, o.networks)) {
      const earlier = nw.interface ? byInterface.get(nw.interface) : undefined;
      if (!earlier) {
        if (nw.interface) byInterface.set(nw.interface, nw);
        merged.push(nw);
        continue;
      }
      if (nw.socket) {
        earlier.socket = nw.socket;
        delete earlier.lima;
      }
      if (nw.lima) {
        if (nw.socket) {
          this.warn(`Network ${q(nw.interface)} has both socket=${q(nw.socket)} and lima=${q(nw.lima)} fields; ignoring socket`);
        }
        earlier.lima = nw.lima;
        delete earlier.socket;
      }
      if (nw.macAddress) earlier.macAddress = nw.macAddress;
      if (nw.metric !== undefined) earlier.metric = nw.metric;
    }
    y.networks = merged.map((nw, i) => ({
      ...nw,
      // every interface in every lima.yaml gets its own stable MAC address
      macAddress: nw.macAddress || macAddress(`${this.filePath}#${i}`, this.ctx.machineId),
      interface: nw.interface || `lima${i}`,
      metric: nw.metric ?? 100,
    }));
  }

  private fillMounts(): void {
    const { y, d, o } = this;
    const merged: Mount[] = [];
    const byMountPoint = new Map<string, Mount>();
    for (const source of concat(d.mounts, y.mounts, o.mounts)) {
      const mount = this.mountLocation(source);
      const mountPoint = mount.mountPoint as string;
      const earlier = byMountPoint.get(mountPoint);
      if (!earlier) {
        byMountPoint.set(mountPoint, mount);
        merged.push(mount);
        continue;
      }
      mergeMount(earlier, mount);
    }
    y.mounts = merged.map(mountDefaults);
  }

  private mountLocation(source: Mount): Mount {
    const mount = { ...source };
    mount.location = cleanPath(this.host(mount.location, "mount location"));
    // Relative paths stay as they are; validation rejects them.
    mount.location = expandTilde(mount.location, this.ctx.user.home);
    mount.mountPoint = mount.mountPoint === undefined ? mount.location : this.guest(mount.mountPoint, "mount point");
    return mount;
  }

  private fillTimezone(): void {
    const { y, d, o } = this;
    const timezone = pick(o.timezone, y.timezone, d.timezone);
    if (timezone !== undefined) {
      y.timezone = timezone;
      return;
    }
    if (this.ctx.timezone === undefined) this.warn("unable to determine host timezone, falling back to default value");
    y.timezone = this.ctx.timezone ?? "";
  }
}

/** Later (higher-priority) mount entries overwrite the fields they set. */
function mergeMount(earlier: Mount, later: Mount): void {
  earlier.sshfs = { ...earlier.sshfs, ...definedOnly(later.sshfs) };
  earlier["9p"] = { ...earlier["9p"], ...definedOnly(later["9p"]) };
  earlier.virtiofs = { ...earlier.virtiofs, ...definedOnly(later.virtiofs) };
  if (later.writable !== undefined) earlier.writable = later.writable;
  if (later.mountPoint !== undefined) earlier.mountPoint = later.mountPoint;
}

function mountDefaults(mount: Mount): Mount {
  const writable = mount.writable ?? false;
  const out: Mount = {
    location: mount.location,
    mountPoint: mount.mountPoint,
    writable,
    sshfs: { cache: true, followSymlinks: false, sftpDriver: "", ...definedOnly(mount.sshfs) },
    "9p": {
      securityModel: DEFAULT_9P_SECURITY_MODEL,
      protocolVersion: DEFAULT_9P_PROTOCOL_VERSION,
      msize: DEFAULT_9P_MSIZE,
      cache: writable ? DEFAULT_9P_CACHE_RW : DEFAULT_9P_CACHE_RO,
      ...definedOnly(mount["9p"]),
    },
    virtiofs: { ...definedOnly(mount.virtiofs) },
  };
  return out;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function isZeroRange(range: [number, number] | undefined): boolean {
  return range === undefined || (range[0] === 0 && range[1] === 0);
}

function isIPv4Zero(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::ffff:0.0.0.0";
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

/** Plain mode: no mounts, only static port forwards, no containerd, guest timezone left alone. */
export function fixUpForPlainMode(y: LimaYAML): void {
  if (y.plain !== true) return;
  y.portForwards = (y.portForwards ?? []).filter((rule) => rule.static === true);
  y.mounts = [];
  y.containerd = { ...y.containerd, system: false, user: false };
  y.timezone = "";
}

/**
 * Fills `y` in place from itself, `d` (default.yaml) and `o` (override.yaml) plus built-in defaults.
 * `filePath` seeds the default MAC addresses; `ctx` supplies the host facts.
 */
export function fillDefault(y: LimaYAML, d: LimaYAML, o: LimaYAML, filePath: string, ctx: FillContext, options: FillOptions = {}): void {
  new Filler(y, d, o, filePath, ctx, options).fill();
}
