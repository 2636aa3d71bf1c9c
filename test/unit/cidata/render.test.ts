import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  fstabEscape,
  renderEtcEnvironment,
  renderLimaEnv,
  renderMetaData,
  renderNetworkConfig,
  renderParamEnv,
  renderUserData,
} from "../../../src/cidata/render.js";
import { typicalArgs } from "./fixtures.js";

const PER_BOOT = `#!/bin/sh
set -eux
os="$(uname -s)"
if [ "$os" = Linux ]; then
  LIMA_CIDATA_MNT=/mnt/lima-cidata
  mkdir -p -m 700 "$LIMA_CIDATA_MNT"
  mount -o ro,mode=0700,dmode=0700,overriderockperm,exec,uid=0 /dev/disk/by-label/cidata "$LIMA_CIDATA_MNT"
elif [ "$os" = FreeBSD ]; then
  LIMA_CIDATA_MNT=/mnt/lima-cidata
  dev=/dev/iso9660/cidata
  # images made by hdiutil carry the label in upper case
  [ -e "$dev" ] || dev=/dev/iso9660/CIDATA
  mkdir -p -m 700 "$LIMA_CIDATA_MNT"
  mount_cd9660 -G wheel -U root -m 0700 -o ro,exec "$dev" "$LIMA_CIDATA_MNT"
elif [ "$os" = Darwin ]; then
  # macOS mounts the volume by itself
  LIMA_CIDATA_MNT=/Volumes/cidata
else
  echo "Unsupported OS: $os" >&2
  exit 1
fi
export LIMA_CIDATA_MNT
exec "$LIMA_CIDATA_MNT/boot.sh"
`;

const NIC_HEAL = `# Rename NICs that cloud-init left with the wrong name (it cannot rename a NIC that is up,
# LP: #2136392), then wait up to 30s for the SLIRP NIC to get an IPv4 address.
for pair in 52:55:55:12:34:56=eth0; do
  mac="\${pair%%=*}"; name="\${pair#*=}"
  [ ! -e "/sys/class/net/$name" ] || continue
  current="$(grep -ilx "$mac" /sys/class/net/*/address 2>/dev/null | head -n 1 | cut -d/ -f5)"
  [ -n "$current" ] || continue
  for try in 1 2 3; do
    if ip link set "$current" down && ip link set "$current" name "$name" && ip link set "$name" up; then break; fi
    [ "$try" = 3 ] || sleep 1
  done
done
waited=0
while ! ip -4 addr show dev eth0 2>/dev/null | grep -q inet && [ "$waited" -lt 30 ]; do
  sleep 1; waited=$((waited + 1))
done
`;

const indent = (prefix: string, text: string): string =>
  text
    .split("\n")
    .map((line) => (line === "" ? line : `${prefix}${line}`))
    .join("\n");

const USERS = `users:
  - name: "alice"
    uid: "1000"
    gecos: "Alice Liddell"
    homedir: "/home/alice.linux"
    shell: /bin/bash
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: true
    ssh-authorized-keys:
      - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey lima"
`;

const HEAD = `#cloud-config
# vim:syntax=yaml

growpart:
  mode: auto
  devices: ['/']
`;

const BOOTCMD = `bootcmd:
- |
${indent("  ", NIC_HEAL)}- |
  # /mnt/lima-cidata is not mounted yet when bootcmd runs, so param.env travels inline.
  while read -r line; do [ -n "$line" ] && export "$line"; done <<'EOF'
  PARAM_DEBUG=1
  PARAM_NAME=world
  EOF
  echo boot-one
  echo boot-two
`;

function argsWithExtras() {
  const args = typicalArgs();
  args.bootCmds = [["echo boot-one", "echo boot-two"]];
  args.caCerts = { removeDefaults: false, trusted: [["-----BEGIN CERTIFICATE-----", "MIIB", "-----END CERTIFICATE-----"]] };
  return args;
}

describe("renderUserData", () => {
  it("renders the ISO user-data of a typical 9p instance exactly", () => {
    const expected =
      HEAD +
      `mounts:
- [lima-1f2e3d4c5b6a7988, /home/alice, 9p, "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,nofail", "0", "0"]
- [lima-00112233aabbccdd, /tmp/lima, 9p, "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail", "0", "0"]
timezone: Europe/Berlin

` +
      USERS +
      `write_files:
 - content: |
${indent("      ", PER_BOOT)}   owner: root:root
   path: /var/lib/cloud/scripts/per-boot/00-lima.boot.sh
   permissions: '0755'
# Used where systemd-resolved is absent (e.g. Alpine) to write /etc/resolv.conf on first boot.

manage_resolv_conf: true

resolv_conf:
  nameservers:
  - 192.168.5.3

ca_certs:
  remove_defaults: false
  trusted:
  - |
    -----BEGIN CERTIFICATE-----
    MIIB
    -----END CERTIFICATE-----
` +
      BOOTCMD;
    assert.equal(renderUserData(argsWithExtras(), true), expected);
  });

  it("renders cloud-config.yaml without mounts, write_files and resolv_conf", () => {
    const expected =
      HEAD +
      `timezone: Europe/Berlin

` +
      USERS +
      `
ca_certs:
  remove_defaults: false
  trusted:
  - |
    -----BEGIN CERTIFICATE-----
    MIIB
    -----END CERTIFICATE-----
` +
      BOOTCMD;
    assert.equal(renderUserData(argsWithExtras(), false), expected);
  });

  it("is YAML that cloud-init reads as intended", () => {
    const doc = parse(renderUserData(argsWithExtras(), true)) as Record<string, unknown>;
    const files = doc.write_files as { content: string; path: string; permissions: string }[];
    assert.equal(files[0]?.content, PER_BOOT);
    assert.equal(files[0]?.permissions, "0755");
    assert.deepEqual(doc.mounts, [
      ["lima-1f2e3d4c5b6a7988", "/home/alice", "9p", "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,nofail", "0", "0"],
      ["lima-00112233aabbccdd", "/tmp/lima", "9p", "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail", "0", "0"],
    ]);
    const bootcmd = doc.bootcmd as string[];
    assert.equal(bootcmd[0], NIC_HEAL);
    assert.match(bootcmd[1] ?? "", /<<'EOF'\nPARAM_DEBUG=1\nPARAM_NAME=world\nEOF\necho boot-one\necho boot-two\n$/);
    assert.deepEqual(doc.ca_certs, { remove_defaults: false, trusted: ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"] });
  });

  it("writes mount points in fstab's octal escapes, quoted where YAML needs it", () => {
    assert.equal(fstabEscape("/tmp/a b\tc\\d ü"), "/tmp/a\\040b\\011c\\134d\\040ü");
    const base = typicalArgs();
    const mount = base.mounts[0];
    assert.ok(mount);
    const odd = ["/tmp/lima mounts ä/rw dir ü", "/tmp/a,b [c]", "/tmp/x: y #z"];
    const args = { ...base, mounts: odd.map((mountPoint) => ({ ...mount, mountPoint })) };
    const doc = parse(renderUserData(args, true)) as { mounts: string[][] };
    assert.deepEqual(doc.mounts.map((m) => m[1]), ["/tmp/lima\\040mounts\\040ä/rw\\040dir\\040ü", "/tmp/a,b\\040[c]", "/tmp/x:\\040y\\040#z"]);
    const rendered = renderUserData(args, true);
    assert.ok(rendered.includes(`- [${mount.tag}, /tmp/lima\\040mounts\\040ä/rw\\040dir\\040ü, 9p,`), "plain where YAML allows");
    assert.ok(rendered.includes(`- [${mount.tag}, "/tmp/a,b\\\\040[c]", 9p,`), "quoted where a comma or bracket would split it");
  });

  it("renders the password-sudo, upgrade, rosetta and reverse-sshfs variants", () => {
    const args = typicalArgs();
    args.passwordlessSudo = false;
    args.upgradePackages = true;
    args.rosettaEnabled = true;
    args.mountType = "reverse-sshfs";
    args.comment = "";
    args.timeZone = "";
    args.dnsAddresses = [];
    const text = renderUserData(args, true);
    assert.match(text, /devices: \['\/'\]\npackage_update: true\npackage_upgrade: true\npackage_reboot_if_required: true\nmounts:\n- \[vz-rosetta, \/mnt\/lima-rosetta, virtiofs, defaults, "0", "0"\]\n\nusers:/);
    assert.match(text, /shell: \/bin\/bash\n {4}sudo: ALL=\(ALL\) ALL\n {4}lock_passwd: false\n/);
    assert.doesNotMatch(text, /gecos|timezone|resolv_conf|lima-1f2e/);
  });

  it("Go-quotes the comment and keys, and renders the FreeBSD and macOS user entries", () => {
    const args = typicalArgs();
    args.comment = 'Al "the" Ice';
    args.os = "FreeBSD";
    const bsd = renderUserData(args, true);
    assert.match(bsd, /gecos: "Al \\"the\\" Ice"\n/);
    assert.match(bsd, /packages:\n {2}# boot\.sh needs sudo\n {2}- sudo\n/);
    assert.match(bsd, /sudo: ALL=\(ALL\) NOPASSWD:ALL\n {4}groups:\n {4}- wheel\n {4}doas: permit nopass :wheel\n {4}lock_passwd: true\n {4}ssh_authorized_keys:\n/);
    assert.doesNotMatch(bsd, /uid:|bootcmd/);
    assert.match(bsd, /owner: root:wheel\n {3}path: \/usr\/sbin\/lima-freebsd-init\.sh\n/);
    assert.match(bsd, /path: \/etc\/rc\.d\/lima_freebsd_init\n/);
    assert.equal((parse(bsd) as { write_files: unknown[] }).write_files.length, 3);
    args.os = "Darwin";
    assert.match(renderUserData(args, true), /shell: \/bin\/bash\n {4}sudo: ALL=\(ALL\) NOPASSWD:\/sbin\/shutdown -h now\n {4}ssh-authorized-keys:/);
  });
});

describe("renderMetaData", () => {
  it("has the instance id and host name", () => {
    assert.equal(renderMetaData(typicalArgs()), "instance-id: iid-1700000000\nlocal-hostname: lima-default\n");
  });
});

describe("renderNetworkConfig", () => {
  it("puts the nameservers on eth0 only", () => {
    const args = typicalArgs();
    args.networks.push({ macAddress: "52:55:55:aa:bb:cc", interface: "lima0", metric: 100 });
    assert.equal(
      renderNetworkConfig(args),
      `version: 2
ethernets:
  eth0:
    match:
      macaddress: '52:55:55:12:34:56'
    dhcp4: true
    set-name: eth0
    dhcp4-overrides:
      route-metric: 200
    dhcp-identifier: mac
    nameservers:
      addresses:
      - 192.168.5.3
  lima0:
    match:
      macaddress: '52:55:55:aa:bb:cc'
    dhcp4: true
    set-name: lima0
    dhcp4-overrides:
      route-metric: 100
    dhcp-identifier: mac
`,
    );
  });

  it("marks NICs optional for param internal_netplanOptional=true and omits empty nameservers", () => {
    const args = typicalArgs();
    args.param = { internal_netplanOptional: "true" };
    args.dnsAddresses = [];
    assert.equal(
      renderNetworkConfig(args),
      "version: 2\nethernets:\n  eth0:\n    match:\n      macaddress: '52:55:55:12:34:56'\n    dhcp4: true\n    set-name: eth0\n" +
        "    optional: true\n    dhcp4-overrides:\n      route-metric: 200\n    dhcp-identifier: mac\n",
    );
  });
});

describe("renderNetworkConfig of a lima-ts user-v2 NIC", () => {
  it("configures the leased address statically, without gateway, DHCP or nameservers", () => {
    const args = typicalArgs();
    args.networks.push({ macAddress: "52:55:55:aa:bb:cc", interface: "lima0", metric: 100, address: "192.168.104.3/24" });
    assert.ok(
      renderNetworkConfig(args).endsWith(`      - 192.168.5.3
  lima0:
    match:
      macaddress: '52:55:55:aa:bb:cc'
    dhcp4: false
    addresses:
    - 192.168.104.3/24
    set-name: lima0
`),
      renderNetworkConfig(args),
    );
  });
});

describe("renderLimaEnv", () => {
  it("lists the variables in Lima's order", () => {
    const args = typicalArgs();
    args.disks = [
      { name: "data", device: "vdb", format: true, fsType: "ext4", fsArgs: ["-m", "0"] },
      { name: "raw", device: "vdc", format: false, fsType: "", fsArgs: [] },
    ];
    args.dataFiles = [{ fileName: "00000002", overwrite: false, owner: "root:root", path: "/etc/x", permissions: "644" }];
    args.yqProvisions = [{ fileName: "00000005", format: "auto", owner: "alice", path: "/etc/app.json", permissions: "600" }];
    args.vsockPort = 2222;
    args.plain = true;
    assert.equal(
      renderLimaEnv(args),
      `LIMA_CIDATA_DEBUG=false
LIMA_CIDATA_IID=iid-1700000000
LIMA_CIDATA_NAME=default
LIMA_CIDATA_USER=alice
LIMA_CIDATA_UID=1000
LIMA_CIDATA_COMMENT=Alice Liddell
LIMA_CIDATA_HOME=/home/alice.linux
LIMA_CIDATA_SHELL=/bin/bash
LIMA_CIDATA_HOSTHOME_MOUNTPOINT=/home/alice
LIMA_CIDATA_MOUNTS=2
LIMA_CIDATA_MOUNTS_0_MOUNTPOINT=/home/alice
LIMA_CIDATA_MOUNTS_1_MOUNTPOINT=/tmp/lima
LIMA_CIDATA_MOUNTTYPE=9p
LIMA_CIDATA_DISKS=2
LIMA_CIDATA_DISK_0_NAME=data
LIMA_CIDATA_DISK_0_DEVICE=vdb
LIMA_CIDATA_DISK_0_FORMAT=true
LIMA_CIDATA_DISK_0_FSTYPE=ext4
LIMA_CIDATA_DISK_0_FSARGS=-m 0
LIMA_CIDATA_DISK_1_NAME=raw
LIMA_CIDATA_DISK_1_DEVICE=vdc
LIMA_CIDATA_DISK_1_FORMAT=false
LIMA_CIDATA_DISK_1_FSTYPE=
LIMA_CIDATA_DISK_1_FSARGS=
LIMA_CIDATA_DATAFILE_00000002_OVERWRITE=false
LIMA_CIDATA_DATAFILE_00000002_OWNER=root:root
LIMA_CIDATA_DATAFILE_00000002_PATH=/etc/x
LIMA_CIDATA_DATAFILE_00000002_PERMISSIONS=644
LIMA_CIDATA_YQ_PROVISION_00000005_FORMAT=auto
LIMA_CIDATA_YQ_PROVISION_00000005_OWNER=alice
LIMA_CIDATA_YQ_PROVISION_00000005_PATH=/etc/app.json
LIMA_CIDATA_YQ_PROVISION_00000005_PERMISSIONS=600
LIMA_CIDATA_GUEST_INSTALL_PREFIX=/usr/local
LIMA_CIDATA_UPGRADE_PACKAGES=
LIMA_CIDATA_CONTAINERD_USER=1
LIMA_CIDATA_CONTAINERD_SYSTEM=
LIMA_CIDATA_CONTAINERD_ARCHIVE=nerdctl-full.tgz
LIMA_CIDATA_SLIRP_DNS=192.168.5.3
LIMA_CIDATA_SLIRP_GATEWAY=192.168.5.2
LIMA_CIDATA_SLIRP_IP_ADDRESS=192.168.5.15
LIMA_CIDATA_UDP_DNS_LOCAL_PORT=40001
LIMA_CIDATA_TCP_DNS_LOCAL_PORT=40002
LIMA_CIDATA_ROSETTA_ENABLED=false
LIMA_CIDATA_ROSETTA_BINFMT=false
LIMA_CIDATA_SKIP_DEFAULT_DEPENDENCY_RESOLUTION=
LIMA_CIDATA_VMTYPE=qemu
LIMA_CIDATA_VSOCK_PORT=2222
LIMA_CIDATA_VIRTIO_PORT=
LIMA_CIDATA_PLAIN=1
LIMA_CIDATA_NO_CLOUD_INIT=
LIMA_CIDATA_PASSWORDLESS_SUDO=1
`,
    );
  });

  it("omits the containerd archive when containerd is off", () => {
    const args = typicalArgs();
    args.containerd = { system: false, user: false, archive: "nerdctl-full.tgz" };
    const env = renderLimaEnv(args);
    assert.match(env, /\nLIMA_CIDATA_CONTAINERD_USER=\nLIMA_CIDATA_CONTAINERD_SYSTEM=\nLIMA_CIDATA_SLIRP_DNS=/);
    assert.doesNotMatch(env, /ARCHIVE/);
  });
});

describe("renderParamEnv / renderEtcEnvironment", () => {
  it("sorts params bytewise", () => {
    assert.equal(renderParamEnv({ param: { b: "2", A: "1", a: "x y" } }), "PARAM_A=1\nPARAM_a=x y\nPARAM_b=2\n");
    assert.equal(renderParamEnv({ param: {} }), "");
  });

  it("wraps the sorted environment in the LIMA markers", () => {
    assert.equal(
      renderEtcEnvironment(typicalArgs()),
      "#LIMA-START\nEDITOR=vim\nHTTP_PROXY=http://192.168.5.2:3128\nhttp_proxy=http://192.168.5.2:3128\n#LIMA-END\n",
    );
    assert.equal(renderEtcEnvironment({ env: {} }), "#LIMA-START\n#LIMA-END\n");
  });
});
