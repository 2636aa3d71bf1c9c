// The QEMU command line, built purely from facts gathered by the driver (spec:
// lima-runtime.md §6.5.4). Order and spelling follow Lima: users compare `ps` output and
// scripts grep for these options.
import path from "node:path";
import type { Arch, MountType, OS } from "../../config/types.js";
import * as filenames from "../../store/filenames.js";
import { q } from "../../util/goquote.js";
import { LimaError } from "../../util/errors.js";
import { type SemVer, compareSemVer } from "../../version.js";
import { mountTag } from "../../cidata/mac.js";

export const SLIRP_NETWORK = "192.168.5.0/24";
export const SLIRP_DHCP_START = "192.168.5.15";
/** Name of the virtio serial port of the guest agent (Windows hosts only). */
export const VIRTIO_PORT = "io.lima-vm.guest_agent.0";

export interface QemuMountInput {
  location: string;
  mountPoint: string;
  writable: boolean;
  /** `9p.securityModel` (default "none"). */
  securityModel?: string;
  /** `virtiofs.queueSize` (default 1024). */
  queueSize?: number;
}

/** A network after the first NIC: `-netdev` backend for `networks[i]`. */
export type QemuNetworkInput =
  | { kind: "socket"; socketPath: string; macAddress: string }
  | { kind: "stream"; socketPath: string; macAddress: string }
  /** The first user-v2 network: it already is net0. */
  | { kind: "skip" };

export interface QemuArgsInput {
  name: string;
  instDir: string;
  arch: Arch;
  os: OS;
  /** Host platform (process.platform). */
  hostPlatform: NodeJS.Platform;
  /** Arguments from `$QEMU_SYSTEM_<ARCH>` that come first and win conflicts. */
  leadingArgs?: string[];
  qemuVersion: SemVer;
  memoryBytes: number;
  cpus: number;
  cpuModel: string;
  accel: string;
  /** pflash firmware; undefined when the arch/config uses none (see usesNoFirmware). */
  firmware?: string;
  /** Which instance files exist. */
  files: { disk: boolean; iso: boolean; kernel: boolean; initrd: boolean; virtioWin?: boolean; winDoneInstallation?: boolean };
  /** Content of `kernel.cmdline`, when that file exists. */
  kernelCmdline?: string;
  /** `datadisk` paths of the additional disks, in order. */
  additionalDisks: string[];
  tpm: boolean;
  /** When the first network is user-v2: its `<name>_qemu.sock` (net0 becomes a socket netdev). */
  usernetSocket?: string;
  sshAddress: string;
  sshLocalPort: number;
  macAddress: string;
  networks: QemuNetworkInput[];
  audio: { device: string; interface: string };
  /** `video.display` ("none" by default). */
  display: string;
  vncDisplay?: string;
  mountType: MountType;
  mounts: QemuMountInput[];
  /** Guest agent over virtio-serial (Windows hosts). */
  virtioGA: boolean;
}

/** A `-netdev ...,fd=` placeholder resolved at spawn time by connecting to the socket. */
export function fdConnect(socketPath: string): string {
  return `{{ fd_connect ${JSON.stringify(socketPath)} }}`;
}

export const FD_CONNECT_PATTERN = /\{\{ fd_connect ("(?:[^"\\]|\\.)*") \}\}/g;

/** Options set once (`-m`, `-cpu`, `-machine`, ...): a value already present wins, with a warning. */
class QemuArgs {
  readonly args: string[];
  readonly warnings: string[] = [];

  constructor(leading: readonly string[]) {
    this.args = [...leading];
  }

  push(...args: string[]): void {
    this.args.push(...args);
  }

  pushIfNoConflict(key: string, value: string): void {
    const existing = this.valueOf(key);
    if (existing === undefined) {
      this.args.push(key, value);
      return;
    }
    this.warnings.push(`Not adding QEMU argument ${q(key)} ${q(value)}, as it conflicts with ${q(key)} ${q(existing)}`);
  }

  private valueOf(key: string): string | undefined {
    const i = this.args.indexOf(key);
    if (i < 0) return undefined;
    const value = this.args[i + 1];
    return value === undefined || value.startsWith("-") ? "" : value;
  }
}

function machineArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  const accel = cfg.accel;
  switch (cfg.arch) {
    case "x86_64":
      if (accel === "tcg") {
        a.pushIfNoConflict("-machine", "q35,vmport=off");
        // one host thread per vCPU, 512 MiB translation cache
        a.pushIfNoConflict("-accel", "tcg,thread=multi,tb-size=512");
        a.push("-global", "ICH9-LPC.disable_s3=1", "-global", "ICH9-LPC.disable_s4=1");
      } else {
        a.pushIfNoConflict("-machine", `q35,accel=${accel}`);
      }
      return;
    case "riscv64":
      a.pushIfNoConflict("-machine", `virt,acpi=off,accel=${accel}`);
      return;
    case "ppc64le":
      a.pushIfNoConflict("-machine", `pseries,accel=${accel}`);
      return;
    case "s390x":
      a.pushIfNoConflict("-machine", `s390-ccw-virtio,accel=${accel}`);
      return;
    default:
      a.pushIfNoConflict("-machine", `virt,accel=${accel}`);
  }
}

function isWindowsInstalling(cfg: QemuArgsInput): boolean {
  return cfg.os === "Windows" && !cfg.files.winDoneInstallation;
}

/** A read-only CD-ROM; Windows on aarch64 (`virt`) only sees it as USB storage. */
function cdromArgs(a: QemuArgsInput, file: string, id: string): string[] {
  if (a.os === "Windows" && a.arch === "aarch64") {
    return ["-drive", `file=${file},if=none,id=${id},format=raw,media=cdrom,readonly=on`, "-device", `usb-storage,drive=${id}`];
  }
  return ["-drive", `file=${file},format=raw,media=cdrom,readonly=on`];
}

function diskArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  const disk = path.join(cfg.instDir, filenames.Disk);
  const iso = path.join(cfg.instDir, filenames.ISO);
  const virtioBlk = cfg.arch === "s390x" ? "virtio-blk-ccw" : "virtio-blk-pci";
  a.push("-device", "qemu-xhci,id=usb-bus");
  if (cfg.files.disk && cfg.files.iso) a.push("-drive", `file=${disk},if=virtio,discard=on`);
  if (cfg.files.disk && !cfg.files.iso) {
    // bootindex=1 keeps the boot disk first when additional disks are attached
    a.push("-drive", `file=${disk},if=none,discard=on,id=boot-disk`, "-device", `${virtioBlk},drive=boot-disk,bootindex=1`);
  }
  if (cfg.files.iso) {
    a.pushIfNoConflict("-boot", "order=d,splash-time=0,menu=on");
    if (cfg.os !== "Windows") a.push("-drive", `file=${iso},format=raw,media=cdrom,readonly=on`);
    else if (isWindowsInstalling(cfg)) {
      if (cfg.arch === "aarch64") a.push("-device", "usb-kbd");
      a.push(...cdromArgs(cfg, iso, "cd0"));
    }
  } else {
    a.pushIfNoConflict("-boot", "order=c,splash-time=0,menu=on");
  }
  // virtio-win must come before cidata so that autounattend.xml finds the drivers
  if (isWindowsInstalling(cfg) && cfg.files.virtioWin) a.push(...cdromArgs(cfg, path.join(cfg.instDir, "virtio-win"), "cd1"));
  for (const extra of cfg.additionalDisks) a.push("-drive", `file=${extra},if=virtio,discard=on`);
}

function cidataArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  const cidata = path.join(cfg.instDir, filenames.CIDataISO);
  if (cfg.os === "Windows") {
    // virtio drivers are not installed yet, so no virtio-scsi
    if (isWindowsInstalling(cfg)) a.push(...cdromArgs(cfg, cidata, "cd2"));
    return;
  }
  a.push(
    "-drive", `id=cdrom0,if=none,format=raw,readonly=on,file=${cidata}`,
    "-device", "virtio-scsi,id=scsi0",
    "-device", "scsi-cd,bus=scsi0.0,drive=cdrom0",
  );
}

function kernelArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  if (cfg.files.kernel) a.pushIfNoConflict("-kernel", path.join(cfg.instDir, filenames.Kernel));
  if (cfg.kernelCmdline !== undefined) a.pushIfNoConflict("-append", cfg.kernelCmdline);
  if (cfg.files.initrd) a.pushIfNoConflict("-initrd", path.join(cfg.instDir, filenames.Initrd));
}

function tpmArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  if (!cfg.tpm) return;
  const devices: Partial<Record<Arch, string>> = { x86_64: "tpm-crb", aarch64: "tpm-tis-device", armv7l: "tpm-tis-device", riscv64: "tpm-tis-device" };
  const device = devices[cfg.arch];
  if (!device) throw new LimaError(`TPM is not supported for architecture ${q(cfg.arch)}`);
  a.push("-chardev", `socket,id=chrtpm,path=${path.join(cfg.instDir, "swtpm.sock")}`);
  a.push("-tpmdev", "emulator,id=tpm0,chardev=chrtpm");
  a.push("-device", `${device},tpmdev=tpm0`);
}

function netdevForNetwork(net: Exclude<QemuNetworkInput, { kind: "skip" }>, id: string, version: SemVer): string {
  if (net.kind === "socket") return `socket,id=${id},fd=${fdConnect(net.socketPath)}`;
  let netdev = `stream,id=${id},server=off,addr.type=unix,addr.path=${net.socketPath}`;
  if (compareSemVer(version, { major: 9, minor: 2, patch: 0 }) >= 0) netdev += ",reconnect-ms=500";
  else if (compareSemVer(version, { major: 8, minor: 0, patch: 0 }) >= 0) netdev += ",reconnect=1";
  return netdev;
}

function networkArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  const virtioNet = cfg.arch === "s390x" ? "virtio-net-ccw" : "virtio-net-pci";
  if (cfg.usernetSocket === undefined) {
    a.push("-netdev", `user,id=net0,net=${SLIRP_NETWORK},dhcpstart=${SLIRP_DHCP_START},hostfwd=tcp:${cfg.sshAddress}:${cfg.sshLocalPort}-:22`);
  } else {
    a.push("-netdev", `socket,id=net0,fd=${fdConnect(cfg.usernetSocket)}`);
  }
  a.push("-device", `${virtioNet},netdev=net0,mac=${cfg.macAddress}`);
  cfg.networks.forEach((net, i) => {
    if (net.kind === "skip") return;
    const id = `net${i + 1}`;
    a.push("-netdev", netdevForNetwork(net, id, cfg.qemuVersion));
    a.push("-device", `${virtioNet},netdev=${id},mac=${net.macAddress}`);
  });
}

function defaultAudioDevice(platform: NodeJS.Platform): string {
  const devices: Partial<Record<NodeJS.Platform, string>> = { darwin: "coreaudio", linux: "pa", win32: "dsound" };
  return devices[platform] ?? "oss";
}

function audioArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  const device = cfg.audio.device;
  if (device === "" || device === "none") {
    a.push("-audiodev", "none,id=snd0");
    return;
  }
  a.push("-audiodev", `${device === "default" ? defaultAudioDevice(cfg.hostPlatform) : device},id=snd0`);
  const hda = ["-device", "ich9-intel-hda", "-device", "hda-output,audiodev=snd0"];
  switch (cfg.audio.interface || "hda") {
    case "hda":
      a.push(...hda);
      return;
    case "virtio":
      if (compareSemVer(cfg.qemuVersion, { major: 8, minor: 2, patch: 0 }) >= 0) a.push("-device", "virtio-sound-pci,audiodev=snd0");
      else {
        a.warnings.push("virtio-sound requires QEMU 8.2.0 or newer. Falling back to intel-hda.");
        a.push(...hda);
      }
      return;
    default:
      throw new LimaError(`unknown audio.interface ${JSON.stringify(cfg.audio.interface)}`);
  }
}

function displayArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  let input = "mouse";
  if (cfg.display !== "") {
    let display = cfg.display;
    if (display === "vnc") {
      display += `=${cfg.vncDisplay ?? ""},password=on`;
      input = "tablet"; // avoids a double cursor
    }
    a.pushIfNoConflict("-display", display);
  }
  if (cfg.display === "none") {
    // no default VGA adapter, so the guest needs no VGA ROM
    a.push("-vga", "none");
    return;
  }
  if (cfg.arch === "x86_64" || cfg.arch === "riscv64") a.push("-device", "virtio-vga");
  else a.push("-device", cfg.os === "Windows" ? "ramfb" : "virtio-gpu");
  a.push("-device", "virtio-keyboard-pci", "-device", `virtio-${input}-pci`);
}

function serialChardev(id: string, instDir: string, sock: string, log: string): string {
  return `socket,id=${id},path=${path.join(instDir, sock)},server=on,wait=off,logfile=${path.join(instDir, log)}`;
}

function serialArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  a.push("-parallel", "none");
  // ttyS0 on x86 and RISC-V, ttyAMA0 on ARM
  a.push("-chardev", serialChardev("char-serial", cfg.instDir, filenames.SerialSock, filenames.SerialLog), "-serial", "chardev:char-serial");
  if (cfg.arch === "aarch64" || cfg.arch === "armv7l") {
    // on ARM this PCI serial is ttyS0
    a.push("-chardev", serialChardev("char-serial-pci", cfg.instDir, filenames.SerialPCISock, filenames.SerialPCILog));
    a.push("-device", "pci-serial,chardev=char-serial-pci");
  }
  if (cfg.os === "Windows") return;
  a.push("-chardev", serialChardev("char-serial-virtio", cfg.instDir, filenames.SerialVirtioSock, filenames.SerialVirtioLog));
  a.push("-device", `virtio-serial-pci,id=virtio-serial0,max_ports=${cfg.arch === "s390x" ? 2 : 1}`);
  a.push("-device", "virtconsole,chardev=char-serial-virtio,id=console0");
}

function mountArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  if (cfg.mountType !== "9p" && cfg.mountType !== "virtiofs") return;
  cfg.mounts.forEach((m, i) => {
    const tag = mountTag(m.location, m.mountPoint);
    if (cfg.mountType === "9p") {
      const readonly = m.writable ? "" : ",readonly=on";
      a.push("-virtfs", `local,mount_tag=${tag},path=${m.location},security_model=${m.securityModel ?? "none"}${readonly}`);
      return;
    }
    const chardev = `char-virtiofs-${i}`;
    a.push("-chardev", `socket,id=${chardev},path=${path.join(cfg.instDir, `virtiofsd-${i}.sock`)}`);
    a.push("-device", `vhost-user-fs-pci,queue-size=${m.queueSize ?? 1024},chardev=${chardev},tag=${tag}`);
  });
}

function controlArgs(a: QemuArgs, cfg: QemuArgsInput): void {
  a.push("-chardev", `socket,id=char-qmp,path=${path.join(cfg.instDir, filenames.QMPSock)},server=on,wait=off`, "-qmp", "chardev:char-qmp");
  if (cfg.virtioGA) {
    a.push("-chardev", `socket,path=${path.join(cfg.instDir, filenames.GuestAgentSock)},server=on,wait=off,id=qga0`);
    a.push("-device", "virtio-serial", "-device", `virtserialport,chardev=qga0,name=${VIRTIO_PORT}`);
  }
  a.push("-name", `lima-${cfg.name}`, "-pidfile", path.join(cfg.instDir, filenames.pidFile("qemu")));
}

export interface QemuCommandLine {
  args: string[];
  /** Conflicts with leading arguments and fallbacks, to be logged as warnings. */
  warnings: string[];
}

/** Like buildQemuArgs, also returning the warnings. */
export function buildQemuCommandLine(cfg: QemuArgsInput): QemuCommandLine {
  const a = new QemuArgs(cfg.leadingArgs ?? []);
  a.pushIfNoConflict("-m", String(Math.floor(cfg.memoryBytes / 1024 ** 2)));
  if (cfg.mountType === "virtiofs") {
    a.pushIfNoConflict("-object", `memory-backend-file,id=virtiofs-shm,size=${cfg.memoryBytes},mem-path=/dev/shm,share=on`);
    a.pushIfNoConflict("-numa", "node,memdev=virtiofs-shm");
  }
  a.pushIfNoConflict("-cpu", cfg.cpuModel);
  machineArgs(a, cfg);
  a.pushIfNoConflict("-smp", `${cfg.cpus},sockets=1,cores=${cfg.cpus},threads=1`);
  if (cfg.firmware !== undefined) a.push("-drive", `if=pflash,format=raw,readonly=on,file=${cfg.firmware}`);
  diskArgs(a, cfg);
  cidataArgs(a, cfg);
  kernelArgs(a, cfg);
  tpmArgs(a, cfg);
  networkArgs(a, cfg);
  // virtio-rng speeds up guest boot (entropy)
  a.push("-device", "virtio-rng-pci");
  audioArgs(a, cfg);
  displayArgs(a, cfg);
  serialArgs(a, cfg);
  mountArgs(a, cfg);
  controlArgs(a, cfg);
  return { args: a.args, warnings: a.warnings };
}

/** The QEMU arguments (without the executable) in Lima's order. */
export function buildQemuArgs(cfg: QemuArgsInput): string[] {
  return buildQemuCommandLine(cfg).args;
}
