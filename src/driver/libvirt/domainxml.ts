// The libvirt domain of an instance, built purely from facts the driver gathered. The guest sees
// the same machine as under the QEMU driver (virtio disk, cidata on virtio-scsi, user-mode network
// 192.168.5.0/24 with the guest at .15 and SSH forwarded from the host), so the host agent's SSH,
// DNS and port forwarding work unchanged.
import { SLIRP_DHCP_START, SLIRP_NETWORK } from "../qemu/cmdline.js";

/** The QEMU command-line namespace: libvirt has no XML for slirp's `hostfwd`. */
export const QEMU_XMLNS = "http://libvirt.org/schemas/domain/qemu/1.0";
/** Domain metadata namespace naming the instance directory the domain belongs to. */
export const LIMA_XMLNS = "https://lima-vm.io/libvirt/1";
/** The user-mode NIC's ids on the QEMU command line (not libvirt's `net0`, which it may use itself). */
const SLIRP_NETDEV_ID = "lima-net0";
/**
 * The user-mode NIC's slot on the root bus. QEMU creates command-line devices before libvirt's
 * PCIe root ports, so an unaddressed one would take slot 1 that libvirt assigned to a root port;
 * libvirt fills slots from 1 upwards (and 0x1e/0x1f for legacy bridges and the LPC).
 */
const SLIRP_PCI_ADDR = "0x10";
/** QEMU's translation cache, as the QEMU driver sets it under TCG (`tb-size=512`). */
const TCG_TB_CACHE_MIB = 512;

/** A disk as a file on the libvirt host, or as a volume of one of its storage pools. */
export type DiskSource =
  | { kind: "file"; path: string; format: string }
  | { kind: "volume"; pool: string; volume: string; format: string };

export interface DomainSpec {
  name: string;
  /** Fixed per instance: `virsh define` replaces a domain of the same name only with the same UUID. */
  uuid: string;
  /** The instance directory on this host (metadata, so a domain can be traced back to its instance). */
  instanceDir: string;
  instanceName: string;
  arch: "x86_64" | "aarch64";
  /** `qemu` (TCG) or `kvm`. */
  domainType: "qemu" | "kvm";
  memoryBytes: number;
  cpus: number;
  /** Direct kernel boot without a bootloader in the disk, or firmware: SeaBIOS or UEFI. */
  firmware: "bios" | "efi";
  disk: DiskSource;
  /** An installer ISO (`iso`), booted first. */
  iso?: DiskSource;
  cidata: DiskSource;
  /** Paths on the libvirt host. */
  kernel?: { path: string; initrd?: string; cmdline?: string };
  /** Where slirp listens on the libvirt host for the guest's port 22. */
  sshForward: { address: string; port: number };
  macAddress: string;
  /** A second NIC on a libvirt network (`virsh net-list`). */
  libvirtNetwork?: { name: string; macAddress: string };
  /** The serial console's log on the libvirt host; without one, the console is a pty (`virsh console`). */
  serialLog?: string;
  /** Runs QEMU as this uid:gid without relabelling files (the instance belongs to that user). */
  runAs?: { uid: number; gid: number };
  /** Security drivers (apparmor, selinux) whose confinement is switched off for this domain. */
  unconfinedModels: string[];
}

export function escapeXML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

/** `name='value'` pairs; undefined values are left out. */
function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([k, v]) => ` ${k}='${escapeXML(String(v))}'`)
    .join("");
}

function element(name: string, values: Record<string, string | number | undefined> = {}, body?: string): string {
  return body === undefined ? `<${name}${attrs(values)}/>` : `<${name}${attrs(values)}>${body}</${name}>`;
}

function sourceXML(src: DiskSource): string {
  return src.kind === "file" ? element("source", { file: src.path }) : element("source", { pool: src.pool, volume: src.volume });
}

function diskXML(src: DiskSource, device: "disk" | "cdrom", target: { dev: string; bus: string }, extra = ""): string {
  const driver = element("driver", { name: "qemu", type: src.format, discard: device === "disk" ? "unmap" : undefined });
  // snapshot='no': a read-only CD-ROM is left out of (internal) snapshots, which only qcow2 supports
  const readonly = device === "cdrom" ? "<readonly/>" : "";
  return element("disk", { type: src.kind === "file" ? "file" : "volume", device, snapshot: device === "cdrom" ? "no" : undefined },
    driver + sourceXML(src) + element("target", target) + readonly + extra);
}

function osXML(spec: DomainSpec): string {
  const machine = spec.arch === "x86_64" ? "q35" : "virt";
  let body = element("type", { arch: spec.arch, machine }, "hvm");
  if (spec.kernel) {
    body += element("kernel", {}, escapeXML(spec.kernel.path));
    if (spec.kernel.initrd) body += element("initrd", {}, escapeXML(spec.kernel.initrd));
    if (spec.kernel.cmdline !== undefined) body += element("cmdline", {}, escapeXML(spec.kernel.cmdline.trim()));
  }
  if (!spec.kernel) body += element("boot", { dev: spec.iso ? "cdrom" : "hd" }) + element("boot", { dev: "hd" });
  return element("os", { firmware: spec.firmware === "efi" ? "efi" : undefined }, body);
}

function featuresXML(spec: DomainSpec): string {
  // ACPI: `virsh shutdown` presses the power button; without it the guest never hears it
  let body = "<acpi/>";
  if (spec.arch === "x86_64") body += "<apic/>";
  if (spec.domainType === "qemu") body += element("tcg", {}, element("tb-cache", { unit: "MiB" }, String(TCG_TB_CACHE_MIB)));
  return element("features", {}, body);
}

function cpuXML(spec: DomainSpec): string {
  // TCG emulates every feature it knows (`-cpu max`, as the QEMU driver); KVM passes the host's through
  const mode = spec.domainType === "qemu" ? "maximum" : "host-passthrough";
  return element("cpu", { mode }, element("topology", { sockets: 1, dies: 1, cores: spec.cpus, threads: 1 }));
}

function disksXML(spec: DomainSpec): string {
  let body = diskXML(spec.disk, "disk", { dev: "vda", bus: "virtio" });
  // cidata on virtio-scsi, as under the QEMU driver
  body += diskXML(spec.cidata, "cdrom", { dev: "sda", bus: "scsi" });
  if (spec.iso) body += diskXML(spec.iso, "cdrom", { dev: "sdb", bus: "scsi" });
  return body + element("controller", { type: "scsi", index: 0, model: "virtio-scsi" });
}

function serialXML(spec: DomainSpec): string {
  if (spec.serialLog === undefined) return element("serial", { type: "pty" }, element("target", { port: 0 }));
  return element("serial", { type: "file" }, element("source", { path: spec.serialLog, append: "off" }) + element("target", { port: 0 }));
}

function networkXML(spec: DomainSpec): string {
  const nw = spec.libvirtNetwork;
  if (!nw) return "";
  return element("interface", { type: "network" }, element("source", { network: nw.name }) + element("mac", { address: nw.macAddress }) + element("model", { type: "virtio" }));
}

function devicesXML(spec: DomainSpec): string {
  const body = [
    disksXML(spec),
    networkXML(spec),
    serialXML(spec),
    element("rng", { model: "virtio" }, element("backend", { model: "random" }, "/dev/urandom")),
    element("memballoon", { model: "none" }),
    element("video", {}, element("model", { type: "none" })),
  ];
  return element("devices", {}, body.join(""));
}

function securityXML(spec: DomainSpec): string {
  let body = "";
  if (spec.runAs) body += element("seclabel", { type: "static", model: "dac", relabel: "no" }, element("label", {}, `+${spec.runAs.uid}:+${spec.runAs.gid}`));
  for (const model of spec.unconfinedModels) body += element("seclabel", { type: "none", model });
  return body;
}

/** The QEMU arguments of the user-mode NIC: the same `-netdev user` as the QEMU driver's net0. */
export function slirpArgs(spec: Pick<DomainSpec, "sshForward" | "macAddress">): string[] {
  const { address, port } = spec.sshForward;
  return [
    "-netdev", `user,id=${SLIRP_NETDEV_ID},net=${SLIRP_NETWORK},dhcpstart=${SLIRP_DHCP_START},hostfwd=tcp:${address}:${port}-:22`,
    "-device", `virtio-net-pci,netdev=${SLIRP_NETDEV_ID},mac=${spec.macAddress},bus=pcie.0,addr=${SLIRP_PCI_ADDR}`,
  ];
}

/** The domain XML for `virsh define`. */
export function buildDomainXML(spec: DomainSpec): string {
  const memoryKiB = Math.floor(spec.memoryBytes / 1024);
  const commandline = slirpArgs(spec).map((arg) => element("qemu:arg", { value: arg })).join("");
  const metadata = element("lima:instance", { "xmlns:lima": LIMA_XMLNS, name: spec.instanceName, dir: spec.instanceDir });
  return [
    `<domain type='${spec.domainType}' xmlns:qemu='${QEMU_XMLNS}'>`,
    element("name", {}, escapeXML(spec.name)),
    element("uuid", {}, spec.uuid),
    element("title", {}, escapeXML(`Lima instance ${spec.instanceName}`)),
    element("metadata", {}, metadata),
    element("memory", { unit: "KiB" }, String(memoryKiB)),
    element("vcpu", {}, String(spec.cpus)),
    osXML(spec),
    featuresXML(spec),
    cpuXML(spec),
    element("pm", {}, element("suspend-to-mem", { enabled: "no" }) + element("suspend-to-disk", { enabled: "no" })),
    element("on_poweroff", {}, "destroy"),
    element("on_reboot", {}, "restart"),
    element("on_crash", {}, "destroy"),
    devicesXML(spec),
    securityXML(spec),
    element("qemu:commandline", {}, commandline),
    "</domain>",
  ].join("\n") + "\n";
}
