// Pure renderers of the NoCloud files (user-data, meta-data, network-config) and of the env
// files boot.sh reads (lima.env, param.env, etc_environment). Layout and keys follow Lima's
// cidata templates, so that the guest side sees what it would see under Lima.
import { goQuote } from "../util/goquote.js";
import { SLIRP_NIC_NAME, type TemplateArgs } from "./args.js";

/** Go's map iteration order in templates: keys sorted bytewise. */
function sortedEntries(map: Record<string, string>): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function indent(prefix: string, lines: string[]): string[] {
  return lines.map((line) => `${prefix}${line}`);
}

// Mounts the cidata volume and hands over to boot.sh; installed as a cloud-init per-boot script.
const PER_BOOT_SCRIPT = [
  "#!/bin/sh",
  "set -eux",
  'os="$(uname -s)"',
  'if [ "$os" = Linux ]; then',
  "  LIMA_CIDATA_MNT=/mnt/lima-cidata",
  '  mkdir -p -m 700 "$LIMA_CIDATA_MNT"',
  '  mount -o ro,mode=0700,dmode=0700,overriderockperm,exec,uid=0 /dev/disk/by-label/cidata "$LIMA_CIDATA_MNT"',
  'elif [ "$os" = FreeBSD ]; then',
  "  LIMA_CIDATA_MNT=/mnt/lima-cidata",
  "  dev=/dev/iso9660/cidata",
  "  # images made by hdiutil carry the label in upper case",
  '  [ -e "$dev" ] || dev=/dev/iso9660/CIDATA',
  '  mkdir -p -m 700 "$LIMA_CIDATA_MNT"',
  '  mount_cd9660 -G wheel -U root -m 0700 -o ro,exec "$dev" "$LIMA_CIDATA_MNT"',
  'elif [ "$os" = Darwin ]; then',
  "  # macOS mounts the volume by itself",
  "  LIMA_CIDATA_MNT=/Volumes/cidata",
  "else",
  '  echo "Unsupported OS: $os" >&2',
  "  exit 1",
  "fi",
  "export LIMA_CIDATA_MNT",
  'exec "$LIMA_CIDATA_MNT/boot.sh"',
];

// nuageinit (FreeBSD) runs no per-boot scripts: an rc.d service runs the script instead.
const FREEBSD_RC_SCRIPT = [
  "#!/bin/sh",
  "",
  "# PROVIDE: lima_freebsd_init",
  "# REQUIRE: DAEMON",
  "# BEFORE: LOGIN",
  "",
  ". /etc/rc.subr",
  "",
  'name="lima_freebsd_init"',
  'rcvar="lima_freebsd_init_enable"',
  'command="/usr/sbin/lima-freebsd-init.sh"',
  "",
  'load_rc_config "$name"',
  'run_rc_command "$1"',
];

function writeFilesSection(args: TemplateArgs): string[] {
  const freeBSD = args.os === "FreeBSD";
  const owner = args.os === "Darwin" || freeBSD ? "root:wheel" : "root:root";
  const lines = ["write_files:", " - content: |", ...indent("      ", PER_BOOT_SCRIPT), `   owner: ${owner}`];
  lines.push(`   path: ${freeBSD ? "/usr/sbin/lima-freebsd-init.sh" : "/var/lib/cloud/scripts/per-boot/00-lima.boot.sh"}`);
  lines.push("   permissions: '0755'");
  if (!freeBSD) return lines;
  lines.push(" - content: |", ...indent("      ", FREEBSD_RC_SCRIPT).map((l) => l.trimEnd()));
  lines.push("   owner: root:wheel", "   path: /etc/rc.d/lima_freebsd_init", "   permissions: '0755'");
  lines.push(" - content: |", '      lima_freebsd_init_enable="YES"');
  lines.push("   owner: root:wheel", "   path: /etc/rc.conf.d/lima_freebsd_init", "   permissions: '0644'");
  return lines;
}

function usersSection(args: TemplateArgs): string[] {
  const freeBSD = args.os === "FreeBSD";
  const lines = ["users:", `  - name: "${args.user}"`];
  // nuageinit cannot set the UID; a FreeBSD boot script fixes it up.
  if (!freeBSD) lines.push(`    uid: "${args.uid}"`);
  if (args.comment !== "") lines.push(`    gecos: ${goQuote(args.comment)}`);
  lines.push(`    homedir: "${args.home}"`, `    shell: ${args.shell}`);
  if (args.os === "Darwin") {
    // The password stays usable for GUI login; `limactl stop` needs only passwordless shutdown.
    lines.push("    sudo: ALL=(ALL) NOPASSWD:/sbin/shutdown -h now");
  } else {
    const nopass = args.passwordlessSudo;
    lines.push(`    sudo: ${nopass ? "ALL=(ALL) NOPASSWD:ALL" : "ALL=(ALL) ALL"}`);
    if (freeBSD) lines.push("    groups:", "    - wheel", `    doas: ${nopass ? "permit nopass :wheel" : "permit :wheel"}`);
    lines.push(`    lock_passwd: ${nopass}`);
  }
  lines.push(freeBSD ? "    ssh_authorized_keys:" : "    ssh-authorized-keys:");
  lines.push(...args.sshPubKeys.map((key) => `      - ${goQuote(key)}`));
  return lines;
}

/**
 * A path as an fstab field: cloud-init joins the fields with tabs and writes them unescaped, so
 * whitespace and backslashes must arrive in fstab(5)'s octal escapes (Lima writes them raw, and a
 * mount point with a space ends up as a broken fstab line).
 */
export function fstabEscape(field: string): string {
  return field.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** A YAML flow-sequence item: plain when that reads back the same, double-quoted otherwise. */
function flowScalar(s: string): string {
  return /^\/[^\s,[\]{}#'"`:&*!|>%@?]*$/u.test(s) ? s : JSON.stringify(s);
}

function mountsSection(args: TemplateArgs): string[] {
  const fstabMounts = args.mountType === "9p" || args.mountType === "virtiofs" ? args.mounts : [];
  if (!args.rosettaEnabled && fstabMounts.length === 0) return [];
  const lines = ["mounts:"];
  // Mounted before systemd-binfmt.service starts.
  if (args.rosettaEnabled) lines.push('- [vz-rosetta, /mnt/lima-rosetta, virtiofs, defaults, "0", "0"]');
  for (const m of fstabMounts) lines.push(`- [${m.tag}, ${flowScalar(fstabEscape(m.mountPoint))}, ${m.type}, "${m.options}", "0", "0"]`);
  return lines;
}

function resolvConfSection(dnsAddresses: string[]): string[] {
  if (dnsAddresses.length === 0) return [];
  return [
    "# Used where systemd-resolved is absent (e.g. Alpine) to write /etc/resolv.conf on first boot.",
    "",
    "manage_resolv_conf: true",
    "",
    "resolv_conf:",
    "  nameservers:",
    ...dnsAddresses.map((ns) => `  - ${ns}`),
  ];
}

function caCertsSection(caCerts: TemplateArgs["caCerts"]): string[] {
  if (!caCerts) return [];
  const lines = ["", "ca_certs:", `  remove_defaults: ${caCerts.removeDefaults}`];
  if (caCerts.trusted.length === 0) return lines;
  lines.push("  trusted:");
  for (const cert of caCerts.trusted) lines.push("  - |", ...indent("    ", cert));
  return lines;
}

/** cloud-init cannot rename a NIC that is already up (LP: #2136392): retry the renames, then wait for eth0. */
function nicHealScript(args: TemplateArgs): string[] {
  const pairs = args.networks.map((nw) => `${nw.macAddress}=${nw.interface}`).join(" ");
  return [
    "# Rename NICs that cloud-init left with the wrong name (it cannot rename a NIC that is up,",
    "# LP: #2136392), then wait up to 30s for the SLIRP NIC to get an IPv4 address.",
    `for pair in ${pairs}; do`,
    '  mac="${pair%%=*}"; name="${pair#*=}"',
    '  [ ! -e "/sys/class/net/$name" ] || continue',
    '  current="$(grep -ilx "$mac" /sys/class/net/*/address 2>/dev/null | head -n 1 | cut -d/ -f5)"',
    '  [ -n "$current" ] || continue',
    "  for try in 1 2 3; do",
    '    if ip link set "$current" down && ip link set "$current" name "$name" && ip link set "$name" up; then break; fi',
    '    [ "$try" = 3 ] || sleep 1',
    "  done",
    "done",
    "waited=0",
    `while ! ip -4 addr show dev ${SLIRP_NIC_NAME} 2>/dev/null | grep -q inet && [ "$waited" -lt 30 ]; do`,
    "  sleep 1; waited=$((waited + 1))",
    "done",
  ];
}

function bootCmdScript(args: TemplateArgs, lines: string[]): string[] {
  return [
    "# /mnt/lima-cidata is not mounted yet when bootcmd runs, so param.env travels inline.",
    `while read -r line; do [ -n "$line" ] && export "$line"; done <<'EOF'`,
    ...sortedEntries(args.param).map(([key, value]) => `PARAM_${key}=${value}`),
    "EOF",
    ...lines,
  ];
}

function bootCmdSection(args: TemplateArgs): string[] {
  const nicHeal = args.os === "Linux" && args.networks.length > 0;
  if (!nicHeal && args.bootCmds.length === 0) return [];
  const scripts = [...(nicHeal ? [nicHealScript(args)] : []), ...args.bootCmds.map((cmd) => bootCmdScript(args, cmd))];
  return ["bootcmd:", ...scripts.flatMap((script) => ["- |", ...indent("  ", script)])];
}

/**
 * `user-data` (forISO) or `cloud-config.yaml` (reference copy in the instance dir: no mounts,
 * no resolv_conf, no write_files).
 */
export function renderUserData(args: TemplateArgs, forISO: boolean): string {
  const effective: TemplateArgs = forISO ? args : { ...args, mounts: [], rosettaEnabled: false, dnsAddresses: [] };
  const lines = ["#cloud-config", "# vim:syntax=yaml", "", "growpart:", "  mode: auto", "  devices: ['/']"];
  if (args.os === "FreeBSD") lines.push("packages:", "  # boot.sh needs sudo", "  - sudo");
  if (args.upgradePackages) lines.push("package_update: true", "package_upgrade: true", "package_reboot_if_required: true");
  lines.push(...mountsSection(effective));
  if (args.timeZone !== "") lines.push(`timezone: ${args.timeZone}`);
  lines.push("", ...usersSection(args));
  if (forISO) lines.push(...writeFilesSection(args));
  lines.push(...resolvConfSection(effective.dnsAddresses));
  lines.push(...caCertsSection(args.caCerts));
  lines.push(...bootCmdSection(args));
  return `${lines.join("\n")}\n`;
}

export function renderMetaData(args: Pick<TemplateArgs, "iid" | "hostname">): string {
  return `instance-id: ${args.iid}\nlocal-hostname: ${args.hostname}\n`;
}

/**
 * A NIC on a lima-ts user-v2 network: a fixed address and no gateway, so the slirp NIC keeps the
 * default route, the DNS and the host (the network has no router of its own).
 */
function staticNIC(name: string, mac: string, address: string, optional: boolean): string[] {
  const lines = [`  ${name}:`, "    match:", `      macaddress: '${mac}'`, "    dhcp4: false", "    addresses:", `    - ${address}`, `    set-name: ${name}`];
  if (optional) lines.push("    optional: true");
  return lines;
}

/** netplan v2; only the SLIRP NIC carries the nameservers. */
export function renderNetworkConfig(args: Pick<TemplateArgs, "networks" | "param" | "dnsAddresses">): string {
  const lines = ["version: 2", "ethernets:"];
  for (const nw of args.networks) {
    if (nw.address !== undefined) {
      lines.push(...staticNIC(nw.interface, nw.macAddress, nw.address, args.param.internal_netplanOptional === "true"));
      continue;
    }
    lines.push(`  ${nw.interface}:`, "    match:", `      macaddress: '${nw.macAddress}'`, "    dhcp4: true", `    set-name: ${nw.interface}`);
    if (args.param.internal_netplanOptional === "true") lines.push("    optional: true");
    lines.push("    dhcp4-overrides:", `      route-metric: ${nw.metric}`, "    dhcp-identifier: mac");
    if (nw.interface === SLIRP_NIC_NAME && args.dnsAddresses.length > 0) {
      lines.push("    nameservers:", "      addresses:", ...args.dnsAddresses.map((ns) => `      - ${ns}`));
    }
  }
  return `${lines.join("\n")}\n`;
}

const flag = (value: boolean): string => (value ? "1" : "");

/** `lima.env`: `K=V` lines read by boot.sh with `export "$line"` (values unquoted). */
export function renderLimaEnv(args: TemplateArgs): string {
  const vars: [string, string | number | boolean][] = [
    ["DEBUG", args.debug],
    ["IID", args.iid],
    ["NAME", args.name],
    ["USER", args.user],
    ["UID", args.uid],
    ["COMMENT", args.comment],
    ["HOME", args.home],
    ["SHELL", args.shell],
    ["HOSTHOME_MOUNTPOINT", args.hostHomeMountPoint],
    ["MOUNTS", args.mounts.length],
    ...args.mounts.map((m, i): [string, string] => [`MOUNTS_${i}_MOUNTPOINT`, m.mountPoint]),
    ["MOUNTTYPE", args.mountType],
    ["DISKS", args.disks.length],
    ...args.disks.flatMap((d, i): [string, string | boolean][] => [
      [`DISK_${i}_NAME`, d.name],
      [`DISK_${i}_DEVICE`, d.device],
      [`DISK_${i}_FORMAT`, d.format],
      [`DISK_${i}_FSTYPE`, d.fsType],
      [`DISK_${i}_FSARGS`, d.fsArgs.join(" ")],
    ]),
    ...args.dataFiles.flatMap((f): [string, string | boolean][] => [
      [`DATAFILE_${f.fileName}_OVERWRITE`, f.overwrite],
      [`DATAFILE_${f.fileName}_OWNER`, f.owner],
      [`DATAFILE_${f.fileName}_PATH`, f.path],
      [`DATAFILE_${f.fileName}_PERMISSIONS`, f.permissions],
    ]),
    ...args.yqProvisions.flatMap((f): [string, string][] => [
      [`YQ_PROVISION_${f.fileName}_FORMAT`, f.format],
      [`YQ_PROVISION_${f.fileName}_OWNER`, f.owner],
      [`YQ_PROVISION_${f.fileName}_PATH`, f.path],
      [`YQ_PROVISION_${f.fileName}_PERMISSIONS`, f.permissions],
    ]),
    ["GUEST_INSTALL_PREFIX", args.guestInstallPrefix],
    ["UPGRADE_PACKAGES", flag(args.upgradePackages)],
    ["CONTAINERD_USER", flag(args.containerd.user)],
    ["CONTAINERD_SYSTEM", flag(args.containerd.system)],
    ...(args.containerd.user || args.containerd.system ? [["CONTAINERD_ARCHIVE", args.containerd.archive] as [string, string]] : []),
    ["SLIRP_DNS", args.slirpDNS],
    ["SLIRP_GATEWAY", args.slirpGateway],
    ["SLIRP_IP_ADDRESS", args.slirpIPAddress],
    ["UDP_DNS_LOCAL_PORT", args.udpDNSLocalPort],
    ["TCP_DNS_LOCAL_PORT", args.tcpDNSLocalPort],
    ["ROSETTA_ENABLED", args.rosettaEnabled],
    ["ROSETTA_BINFMT", args.rosettaBinFmt],
    ["SKIP_DEFAULT_DEPENDENCY_RESOLUTION", flag(args.skipDefaultDependencyResolution)],
    ["VMTYPE", args.vmType],
    ["VSOCK_PORT", args.vsockPort],
    ["VIRTIO_PORT", args.virtioPort],
    ["PLAIN", flag(args.plain)],
    ["NO_CLOUD_INIT", flag(args.noCloudInit)],
    ["PASSWORDLESS_SUDO", flag(args.passwordlessSudo)],
  ];
  return vars.map(([key, value]) => `LIMA_CIDATA_${key}=${String(value)}\n`).join("");
}

/** `param.env`: one `PARAM_<key>=<value>` line per param, sorted by key. */
export function renderParamEnv(args: Pick<TemplateArgs, "param">): string {
  return sortedEntries(args.param)
    .map(([key, value]) => `PARAM_${key}=${value}\n`)
    .join("");
}

/** `etc_environment`: the block 07-etc-environment.sh puts into the guest's /etc/environment. */
export function renderEtcEnvironment(args: Pick<TemplateArgs, "env">): string {
  const lines = sortedEntries(args.env).map(([key, value]) => `${key}=${value}`);
  return ["#LIMA-START", ...lines, "#LIMA-END"].join("\n") + "\n";
}
