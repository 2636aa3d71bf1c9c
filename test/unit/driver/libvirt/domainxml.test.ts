import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type DomainSpec, buildDomainXML, escapeXML, slirpArgs } from "../../../../src/driver/libvirt/domainxml.js";

const INST = "/home/u/.lima/default";

function spec(overrides: Partial<DomainSpec> = {}): DomainSpec {
  return {
    name: "lima-default-0123abcd",
    uuid: "01234567-89ab-4cde-8f01-23456789abcd",
    instanceDir: INST,
    instanceName: "default",
    arch: "x86_64",
    domainType: "qemu",
    memoryBytes: 4 * 1024 ** 3,
    cpus: 4,
    firmware: "bios",
    disk: { kind: "file", path: `${INST}/disk`, format: "qcow2" },
    cidata: { kind: "file", path: `${INST}/cidata.iso`, format: "raw" },
    sshForward: { address: "127.0.0.1", port: 60022 },
    macAddress: "52:55:55:12:34:56",
    unconfinedModels: [],
    ...overrides,
  };
}

describe("buildDomainXML", () => {
  it("is a TCG domain with the instance's name, UUID, memory and CPUs", () => {
    const xml = buildDomainXML(spec());
    assert.match(xml, /^<domain type='qemu' xmlns:qemu='http:\/\/libvirt.org\/schemas\/domain\/qemu\/1.0'>/);
    assert.match(xml, /<name>lima-default-0123abcd<\/name>/);
    assert.match(xml, /<uuid>01234567-89ab-4cde-8f01-23456789abcd<\/uuid>/);
    assert.match(xml, /<memory unit='KiB'>4194304<\/memory>/);
    assert.match(xml, /<vcpu>4<\/vcpu>/);
    assert.match(xml, /<cpu mode='maximum'><topology sockets='1' dies='1' cores='4' threads='1'\/><\/cpu>/);
    assert.match(xml, /<tcg><tb-cache unit='MiB'>512<\/tb-cache><\/tcg>/);
    assert.match(xml, /<\/domain>\n$/);
  });

  it("has ACPI, so that `virsh shutdown` reaches the guest", () => {
    assert.match(buildDomainXML(spec()), /<features><acpi\/><apic\/>/);
  });

  it("passes the host's CPU through under KVM and has no TCG settings", () => {
    const xml = buildDomainXML(spec({ domainType: "kvm" }));
    assert.match(xml, /^<domain type='kvm'/);
    assert.match(xml, /<cpu mode='host-passthrough'>/);
    assert.doesNotMatch(xml, /<tcg>/);
  });

  it("boots the kernel directly with initrd and the command line of kernel.cmdline", () => {
    const xml = buildDomainXML(spec({ kernel: { path: `${INST}/kernel`, initrd: `${INST}/initrd`, cmdline: "root=/dev/vda rw console=ttyS0\n" } }));
    assert.match(xml, /<os><type arch='x86_64' machine='q35'>hvm<\/type><kernel>\/home\/u\/.lima\/default\/kernel<\/kernel><initrd>\/home\/u\/.lima\/default\/initrd<\/initrd><cmdline>root=\/dev\/vda rw console=ttyS0<\/cmdline><\/os>/);
    assert.doesNotMatch(xml, /<boot /);
  });

  it("boots UEFI firmware from the disk, or from the installer ISO first", () => {
    assert.match(buildDomainXML(spec({ firmware: "efi" })), /<os firmware='efi'><type arch='x86_64' machine='q35'>hvm<\/type><boot dev='hd'\/><boot dev='hd'\/><\/os>/);
    const xml = buildDomainXML(spec({ firmware: "efi", iso: { kind: "file", path: `${INST}/iso`, format: "raw" } }));
    assert.match(xml, /<boot dev='cdrom'\/><boot dev='hd'\/>/);
    assert.match(xml, /<source file='\/home\/u\/.lima\/default\/iso'\/><target dev='sdb' bus='scsi'\/><readonly\/>/);
  });

  it("attaches the disk as virtio and cidata as a read-only virtio-scsi CD-ROM left out of snapshots", () => {
    const xml = buildDomainXML(spec());
    assert.match(xml, /<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'\/><source file='\/home\/u\/.lima\/default\/disk'\/><target dev='vda' bus='virtio'\/><\/disk>/);
    assert.match(xml, /<disk type='file' device='cdrom' snapshot='no'><driver name='qemu' type='raw'\/><source file='\/home\/u\/.lima\/default\/cidata.iso'\/><target dev='sda' bus='scsi'\/><readonly\/><\/disk>/);
    assert.match(xml, /<controller type='scsi' index='0' model='virtio-scsi'\/>/);
  });

  it("refers to storage volumes of a pool", () => {
    const xml = buildDomainXML(spec({ disk: { kind: "volume", pool: "default", volume: "lima-default-0123abcd-disk", format: "qcow2" } }));
    assert.match(xml, /<disk type='volume' device='disk'><driver name='qemu' type='qcow2' discard='unmap'\/><source pool='default' volume='lima-default-0123abcd-disk'\/>/);
  });

  it("forwards SSH through slirp on Lima's 192.168.5.0/24 with the guest at .15", () => {
    const xml = buildDomainXML(spec());
    assert.match(xml, /<qemu:commandline><qemu:arg value='-netdev'\/><qemu:arg value='user,id=lima-net0,net=192.168.5.0\/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:60022-:22'\/><qemu:arg value='-device'\/><qemu:arg value='virtio-net-pci,netdev=lima-net0,mac=52:55:55:12:34:56,bus=pcie.0,addr=0x10'\/><\/qemu:commandline>/);
  });

  it("listens on every address of a remote host (an empty hostfwd address)", () => {
    assert.equal(slirpArgs({ sshForward: { address: "", port: 2222 }, macAddress: "52:55:55:00:00:01" })[1], "user,id=lima-net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp::2222-:22");
  });

  it("adds a NIC on a libvirt network when one is named", () => {
    assert.doesNotMatch(buildDomainXML(spec()), /<interface /);
    const xml = buildDomainXML(spec({ libvirtNetwork: { name: "default", macAddress: "52:55:55:ab:cd:ef" } }));
    assert.match(xml, /<interface type='network'><source network='default'\/><mac address='52:55:55:ab:cd:ef'\/><model type='virtio'\/><\/interface>/);
  });

  it("logs the serial console to a file, or gives a pty", () => {
    assert.match(buildDomainXML(spec({ serialLog: `${INST}/serial.log` })), /<serial type='file'><source path='\/home\/u\/.lima\/default\/serial.log' append='off'\/><target port='0'\/><\/serial>/);
    assert.match(buildDomainXML(spec()), /<serial type='pty'><target port='0'\/><\/serial>/);
  });

  it("runs QEMU as the instance's owner without relabelling, and unconfined by AppArmor when asked", () => {
    const xml = buildDomainXML(spec({ runAs: { uid: 1000, gid: 1001 }, unconfinedModels: ["apparmor"] }));
    assert.match(xml, /<seclabel type='static' model='dac' relabel='no'><label>\+1000:\+1001<\/label><\/seclabel><seclabel type='none' model='apparmor'\/>/);
    assert.doesNotMatch(buildDomainXML(spec()), /<seclabel/);
  });

  it("escapes paths and names", () => {
    const xml = buildDomainXML(spec({ instanceDir: "/tmp/a'b&c", instanceName: "x<y", disk: { kind: "file", path: "/tmp/a'b&c/disk", format: "qcow2" } }));
    assert.match(xml, /<source file='\/tmp\/a&apos;b&amp;c\/disk'\/>/);
    assert.match(xml, /<title>Lima instance x&lt;y<\/title>/);
    assert.match(xml, /dir='\/tmp\/a&apos;b&amp;c'/);
    assert.equal(escapeXML(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
  });

  it("uses the virt machine for aarch64", () => {
    const xml = buildDomainXML(spec({ arch: "aarch64" }));
    assert.match(xml, /<type arch='aarch64' machine='virt'>hvm<\/type>/);
    assert.doesNotMatch(xml, /<apic\/>/);
  });
});
