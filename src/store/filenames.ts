// File names inside $LIMA_HOME and $INST; shared with Go Lima, so they are an API.
export const ConfigDir = "_config";
export const DisksDir = "_disks";
export const NetworksDir = "_networks";
export const TemplatesDir = "_templates";

export const UserPrivateKey = "user";
export const UserPublicKey = "user.pub";
export const NetworksConfig = "networks.yaml";
export const Default = "default.yaml";
export const Override = "override.yaml";
export const Base = "base.yaml";

export const LimaYAML = "lima.yaml";
export const LimaVersion = "lima-version";
export const CloudConfig = "cloud-config.yaml";
export const Protected = "protected";
export const Image = "image";
export const Disk = "disk";
export const ISO = "iso";
export const BaseDisk = "basedisk";
export const DiffDisk = "diffdisk";
export const Kernel = "kernel";
export const KernelCmdline = "kernel.cmdline";
export const Initrd = "initrd";
export const QemuEfiCodeFD = "qemu-efi-code.fd";
export const CIDataISO = "cidata.iso";
export const CIDataISODir = "cidata";
export const HostAgentPID = "ha.pid";
export const HostAgentSock = "ha.sock";
export const HostAgentStdoutLog = "ha.stdout.log";
export const HostAgentStderrLog = "ha.stderr.log";
export const SSHSock = "ssh.sock";
export const SSHConfig = "ssh.config";
export const GuestAgentSock = "ga.sock";
export const QMPSock = "qmp.sock";
export const SerialLog = "serial.log";
export const SerialSock = "serial.sock";
export const SerialPCILog = "serialp.log";
export const SerialPCISock = "serialp.sock";
export const SerialVirtioLog = "serialv.log";
export const SerialVirtioSock = "serialv.sock";
export const AnsibleInventoryYAML = "ansible-inventory.yaml";
export const VzIdentifier = "vz-identifier";
export const InUseBy = "in_use_by";
export const DataDisk = "datadisk";

/** `<vmType>.pid`, e.g. `qemu.pid`. */
export function pidFile(vmType: string): string {
  return `${vmType}.pid`;
}

/** Suffixes of temporary files: removed by a forced stop, skipped by clone. */
export const TmpFileSuffixes = [".pid", ".sock", ".tmp"] as const;

/** Linux and Windows: 108; macOS and BSDs: 104. */
export const UNIX_PATH_MAX = process.platform === "linux" || process.platform === "win32" ? 108 : 104;
/** `ssh.sock` plus room for OpenSSH's `ssh.sock.XXXXXXXXXXXXXXXX` temporary. */
export const LongestSock = "ssh.sock.1234567890123456";
