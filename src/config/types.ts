// The lima.yaml schema (Lima's limatype.LimaYAML). Optional = "unset" (Go nil pointer), so that
// defaults, `_config/default.yaml` and `_config/override.yaml` can be layered field by field.
// YAML/JSON keys are exactly these property names.

export type Arch = "x86_64" | "aarch64" | "armv7l" | "ppc64le" | "riscv64" | "s390x";
export const ARCHES: readonly Arch[] = ["x86_64", "aarch64", "armv7l", "ppc64le", "riscv64", "s390x"];
export type OS = "Linux" | "Darwin" | "FreeBSD" | "Windows";
export const OSES: readonly OS[] = ["Linux", "Darwin", "FreeBSD", "Windows"];
export type VMType = string; // "qemu" | "vz" | "wsl2" | external driver names
export type MountType = "reverse-sshfs" | "9p" | "virtiofs" | "wsl2";
export type ProvisionMode = "system" | "user" | "boot" | "data" | "dependency" | "ansible" | "yq";
export type Proto = "tcp" | "udp" | "any";

export interface FileRef {
  location: string;
  arch?: Arch;
  digest?: string;
}

export interface Kernel extends FileRef {
  cmdline?: string;
}

export interface Image extends FileRef {
  kernel?: Kernel;
  initrd?: FileRef;
  variant?: string;
  archVariant?: string;
}

export interface Disk {
  name: string;
  format?: boolean;
  fsType?: string;
  fsArgs?: string[];
}

export interface SSHFS {
  cache?: boolean;
  followSymlinks?: boolean;
  sftpDriver?: string;
}

export interface NineP {
  securityModel?: string;
  protocolVersion?: string;
  msize?: string;
  cache?: string;
}

export interface Virtiofs {
  queueSize?: number;
}

export interface Mount {
  location: string;
  mountPoint?: string;
  writable?: boolean;
  sshfs?: SSHFS;
  "9p"?: NineP;
  virtiofs?: Virtiofs;
}

export interface SSH {
  localPort?: number;
  loadDotSSHPubKeys?: boolean;
  forwardAgent?: boolean;
  forwardX11?: boolean;
  forwardX11Trusted?: boolean;
  overVsock?: boolean;
}

export interface Firmware {
  legacyBIOS?: boolean;
  images?: (FileRef & { vmType?: VMType })[];
}

export interface Audio {
  device?: string;
  interface?: string;
}

export interface VNC {
  display?: string;
}

export interface Video {
  display?: string;
  vnc?: VNC;
}

export interface ProvisionFile {
  url: string;
  digest?: string;
}

export interface Provision {
  mode?: ProvisionMode;
  skipDefaultDependencyResolution?: boolean;
  script?: string;
  file?: string | ProvisionFile;
  path?: string;
  content?: string;
  expression?: string;
  owner?: string;
  permissions?: string;
  overwrite?: boolean;
  format?: string;
  playbook?: string;
}

export interface Containerd {
  system?: boolean;
  user?: boolean;
  archives?: FileRef[];
}

export interface Probe {
  mode?: "readiness";
  description?: string;
  script?: string;
  file?: string | ProvisionFile;
  hint?: string;
}

export interface PortForward {
  guestIPMustBeZero?: boolean;
  guestIP?: string;
  guestPort?: number;
  guestPortRange?: [number, number];
  guestSocket?: string;
  hostIP?: string;
  hostPort?: number;
  hostPortRange?: [number, number];
  hostSocket?: string;
  proto?: Proto;
  reverse?: boolean;
  ignore?: boolean;
  static?: boolean;
}

export interface CopyToHost {
  guest: string;
  host: string;
  skipIfMissing?: boolean;
  deleteOnStop?: boolean;
}

export interface Network {
  lima?: string;
  socket?: string;
  vzNAT?: boolean;
  macAddress?: string;
  interface?: string;
  metric?: number;
}

export interface HostResolver {
  enabled?: boolean;
  ipv6?: boolean;
  hosts?: Record<string, string>;
}

export interface CACertificates {
  removeDefaults?: boolean;
  files?: string[];
  certs?: string[];
}

export interface Rosetta {
  enabled?: boolean;
  binfmt?: boolean;
}

export interface User {
  name?: string;
  comment?: string;
  home?: string;
  shell?: string;
  uid?: number;
  passwordlessSudo?: boolean;
}

export interface QEMUOpts {
  minimumVersion?: string;
  cpuType?: Record<string, string>;
}

export interface VZOpts {
  rosetta?: Rosetta;
  diskImageFormat?: string;
}

export interface VMOpts {
  qemu?: QEMUOpts;
  vz?: VZOpts;
  [vmType: string]: unknown;
}

export type BaseLocator = string | { url: string; digest?: string };

export interface LimaYAML {
  base?: BaseLocator | BaseLocator[];
  minimumLimaVersion?: string;
  vmType?: VMType;
  vmOpts?: VMOpts;
  os?: OS;
  arch?: Arch;
  images?: Image[];
  cpuType?: Record<string, string>;
  cpus?: number;
  memory?: string;
  disk?: string;
  additionalDisks?: Disk[];
  mounts?: Mount[];
  mountTypesUnsupported?: string[];
  mountType?: MountType;
  mountInotify?: boolean;
  ssh?: SSH;
  firmware?: Firmware;
  audio?: Audio;
  video?: Video;
  provision?: Provision[];
  upgradePackages?: boolean;
  containerd?: Containerd;
  guestInstallPrefix?: string;
  probes?: Probe[];
  portForwards?: PortForward[];
  copyToHost?: CopyToHost[];
  message?: string;
  networks?: Network[];
  env?: Record<string, string>;
  param?: Record<string, string>;
  dns?: string[];
  hostResolver?: HostResolver;
  propagateProxyEnv?: boolean;
  caCerts?: CACertificates;
  rosetta?: Rosetta;
  plain?: boolean;
  timezone?: string;
  nestedVirtualization?: boolean;
  user?: User;
  tpm?: boolean;
  osOpts?: Record<string, unknown>;
}

/** Key order of LimaYAML when marshalled (template copy --fill, list --json `.config`). */
export const LIMA_YAML_KEY_ORDER: readonly (keyof LimaYAML)[] = [
  "base", "minimumLimaVersion", "vmType", "vmOpts", "os", "arch", "images", "cpuType", "cpus",
  "memory", "disk", "additionalDisks", "mounts", "mountTypesUnsupported", "mountType", "mountInotify",
  "ssh", "firmware", "audio", "video", "provision", "upgradePackages", "containerd",
  "guestInstallPrefix", "probes", "portForwards", "copyToHost", "message", "networks", "env", "param",
  "dns", "hostResolver", "propagateProxyEnv", "caCerts", "rosetta", "plain", "timezone",
  "nestedVirtualization", "user", "tpm", "osOpts",
];
