import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mountTag } from "../../../../src/cidata/mac.js";
import { type QemuArgsInput, buildQemuArgs, buildQemuCommandLine, fdConnect } from "../../../../src/driver/qemu/cmdline.js";

const INST = "/home/u/.lima/default";
const MAC = "52:55:55:12:34:56";

function input(overrides: Partial<QemuArgsInput> = {}): QemuArgsInput {
  return {
    name: "default",
    instDir: INST,
    arch: "x86_64",
    os: "Linux",
    hostPlatform: "linux",
    qemuVersion: { major: 7, minor: 2, patch: 22 },
    memoryBytes: 4 * 1024 ** 3,
    cpus: 4,
    cpuModel: "max",
    accel: "tcg",
    firmware: "/usr/share/OVMF/OVMF_CODE.fd",
    files: { disk: true, iso: false, kernel: false, initrd: false },
    additionalDisks: [],
    tpm: false,
    sshAddress: "127.0.0.1",
    sshLocalPort: 60022,
    macAddress: MAC,
    networks: [],
    audio: { device: "", interface: "" },
    display: "none",
    vncDisplay: "127.0.0.1:0,to=9",
    mountType: "reverse-sshfs",
    mounts: [],
    virtioGA: false,
    ...overrides,
  };
}

const NET = [
  "-netdev", "user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:60022-:22",
  "-device", `virtio-net-pci,netdev=net0,mac=${MAC}`,
  "-device", "virtio-rng-pci",
  "-audiodev", "none,id=snd0",
  "-display", "none",
  "-vga", "none",
  "-parallel", "none",
];
const SERIAL = [
  "-chardev", `socket,id=char-serial,path=${INST}/serial.sock,server=on,wait=off,logfile=${INST}/serial.log`,
  "-serial", "chardev:char-serial",
];
const SERIALV = [
  "-chardev", `socket,id=char-serial-virtio,path=${INST}/serialv.sock,server=on,wait=off,logfile=${INST}/serialv.log`,
  "-device", "virtio-serial-pci,id=virtio-serial0,max_ports=1",
  "-device", "virtconsole,chardev=char-serial-virtio,id=console0",
];
const TAIL = [
  "-chardev", `socket,id=char-qmp,path=${INST}/qmp.sock,server=on,wait=off`,
  "-qmp", "chardev:char-qmp",
  "-name", "lima-default",
  "-pidfile", `${INST}/qemu.pid`,
];
const BOOT_DISK = [
  "-device", "qemu-xhci,id=usb-bus",
  "-drive", `file=${INST}/disk,if=none,discard=on,id=boot-disk`,
  "-device", "virtio-blk-pci,drive=boot-disk,bootindex=1",
  "-boot", "order=c,splash-time=0,menu=on",
];
const CIDATA = [
  "-drive", `id=cdrom0,if=none,format=raw,readonly=on,file=${INST}/cidata.iso`,
  "-device", "virtio-scsi,id=scsi0",
  "-device", "scsi-cd,bus=scsi0.0,drive=cdrom0",
];

describe("buildQemuArgs", () => {
  it("builds the full x86_64 TCG command line in Lima's order", () => {
    assert.deepEqual(buildQemuArgs(input()), [
      "-m", "4096",
      "-cpu", "max",
      "-machine", "q35,vmport=off",
      "-accel", "tcg,thread=multi,tb-size=512",
      "-global", "ICH9-LPC.disable_s3=1",
      "-global", "ICH9-LPC.disable_s4=1",
      "-smp", "4,sockets=1,cores=4,threads=1",
      "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd",
      ...BOOT_DISK, ...CIDATA, ...NET, ...SERIAL, ...SERIALV, ...TAIL,
    ]);
  });

  it("uses q35,accel=kvm and no -accel/-global options with KVM", () => {
    const args = buildQemuArgs(input({ accel: "kvm", cpuModel: "host", cpus: 2, memoryBytes: 2 * 1024 ** 3 }));
    assert.deepEqual(args.slice(0, 10), [
      "-m", "2048", "-cpu", "host", "-machine", "q35,accel=kvm", "-smp", "2,sockets=1,cores=2,threads=1", "-drive",
      "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd",
    ]);
    assert.ok(!args.includes("-accel"));
    assert.ok(!args.includes("-global"));
  });

  it("adds -kernel, -append and -initrd after cidata for direct kernel boot", () => {
    const args = buildQemuArgs(input({ files: { disk: true, iso: false, kernel: true, initrd: true }, kernelCmdline: "root=/dev/vda console=ttyS0" }));
    const at = args.indexOf("-kernel");
    assert.deepEqual(args.slice(at - 2, at + 8), [
      "-device", "scsi-cd,bus=scsi0.0,drive=cdrom0",
      "-kernel", `${INST}/kernel`,
      "-append", "root=/dev/vda console=ttyS0",
      "-initrd", `${INST}/initrd`,
      "-netdev", NET[1],
    ]);
  });

  it("has no pflash drive without firmware (legacyBIOS)", () => {
    const args = buildQemuArgs(input({ firmware: undefined }));
    assert.ok(!args.some((a) => a.startsWith("if=pflash")));
    assert.deepEqual(args.slice(12, 16), ["-smp", "4,sockets=1,cores=4,threads=1", "-device", "qemu-xhci,id=usb-bus"]);
  });

  it("builds the aarch64 command line with virt and the PCI serial", () => {
    const args = buildQemuArgs(input({ arch: "aarch64", accel: "tcg", firmware: "/usr/share/AAVMF/AAVMF_CODE.fd" }));
    assert.deepEqual(args, [
      "-m", "4096",
      "-cpu", "max",
      "-machine", "virt,accel=tcg",
      "-smp", "4,sockets=1,cores=4,threads=1",
      "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
      ...BOOT_DISK, ...CIDATA, ...NET, ...SERIAL,
      "-chardev", `socket,id=char-serial-pci,path=${INST}/serialp.sock,server=on,wait=off,logfile=${INST}/serialp.log`,
      "-device", "pci-serial,chardev=char-serial-pci",
      ...SERIALV, ...TAIL,
    ]);
  });

  it("uses the machine and devices of riscv64, ppc64le and s390x", () => {
    assert.ok(buildQemuArgs(input({ arch: "riscv64" })).includes("virt,acpi=off,accel=tcg"));
    assert.ok(buildQemuArgs(input({ arch: "ppc64le", firmware: undefined })).includes("pseries,accel=tcg"));
    const s390 = buildQemuArgs(input({ arch: "s390x", firmware: undefined }));
    assert.ok(s390.includes("s390-ccw-virtio,accel=tcg"));
    assert.ok(s390.includes("virtio-blk-ccw,drive=boot-disk,bootindex=1"));
    assert.ok(s390.includes(`virtio-net-ccw,netdev=net0,mac=${MAC}`));
    assert.ok(s390.includes("virtio-serial-pci,id=virtio-serial0,max_ports=2"));
  });

  it("boots an ISO from cdrom with the disk on if=virtio", () => {
    const args = buildQemuArgs(input({ files: { disk: true, iso: true, kernel: false, initrd: false } }));
    const at = args.indexOf("qemu-xhci,id=usb-bus");
    assert.deepEqual(args.slice(at + 1, at + 7), [
      "-drive", `file=${INST}/disk,if=virtio,discard=on`,
      "-boot", "order=d,splash-time=0,menu=on",
      "-drive", `file=${INST}/iso,format=raw,media=cdrom,readonly=on`,
    ]);
  });

  it("attaches additional disks after the boot disk", () => {
    const args = buildQemuArgs(input({ additionalDisks: ["/home/u/.lima/_disks/data/datadisk"] }));
    const at = args.indexOf("order=c,splash-time=0,menu=on");
    assert.deepEqual(args.slice(at + 1, at + 4), ["-drive", "file=/home/u/.lima/_disks/data/datadisk,if=virtio,discard=on", "-drive"]);
  });

  it("adds one -virtfs per mount with mountType 9p, before QMP", () => {
    const mounts = [
      { location: "/home/u", mountPoint: "/home/u", writable: false },
      { location: "/tmp/lima", mountPoint: "/tmp/lima", writable: true, securityModel: "mapped-xattr" },
    ];
    const args = buildQemuArgs(input({ mountType: "9p", mounts }));
    const at = args.indexOf("-virtfs");
    assert.deepEqual(args.slice(at, at + 5), [
      "-virtfs", `local,mount_tag=${mountTag("/home/u", "/home/u")},path=/home/u,security_model=none,readonly=on`,
      "-virtfs", `local,mount_tag=${mountTag("/tmp/lima", "/tmp/lima")},path=/tmp/lima,security_model=mapped-xattr`,
      "-chardev",
    ]);
    assert.ok(!buildQemuArgs(input({ mountType: "reverse-sshfs", mounts })).includes("-virtfs"));
  });

  it("derives mount tags like Lima", () => {
    assert.match(mountTag("/home/u", "/home/u"), /^lima-[0-9a-f]{16}$/);
    assert.notEqual(mountTag("/a", "/b"), mountTag("/a", "/c"));
  });

  it("adds the shared memory backend and vhost-user devices for virtiofs", () => {
    const args = buildQemuArgs(input({ mountType: "virtiofs", mounts: [{ location: "/src", mountPoint: "/src", writable: true, queueSize: 1024 }] }));
    assert.deepEqual(args.slice(0, 6), ["-m", "4096", "-object", `memory-backend-file,id=virtiofs-shm,size=${4 * 1024 ** 3},mem-path=/dev/shm,share=on`, "-numa", "node,memdev=virtiofs-shm"]);
    assert.ok(args.includes(`socket,id=char-virtiofs-0,path=${INST}/virtiofsd-0.sock`));
    assert.ok(args.includes(`vhost-user-fs-pci,queue-size=1024,chardev=char-virtiofs-0,tag=${mountTag("/src", "/src")}`));
  });

  it("shows a VNC display with a tablet and keeps leading arguments from $QEMU_SYSTEM_*", () => {
    const { args, warnings } = buildQemuCommandLine(input({ display: "vnc", leadingArgs: ["-m", "1024"] }));
    assert.deepEqual(args.slice(0, 4), ["-m", "1024", "-cpu", "max"]);
    assert.deepEqual(warnings, ["Not adding QEMU argument `-m` `4096`, as it conflicts with `-m` `1024`"]);
    const at = args.indexOf("-display");
    assert.deepEqual(args.slice(at, at + 8), [
      "-display", "vnc=127.0.0.1:0,to=9,password=on",
      "-device", "virtio-vga", "-device", "virtio-keyboard-pci", "-device", "virtio-tablet-pci",
    ]);
    assert.ok(!args.includes("-vga"));
  });

  it("adds audio devices", () => {
    const hda = buildQemuArgs(input({ audio: { device: "default", interface: "" } }));
    const at = hda.indexOf("-audiodev");
    assert.deepEqual(hda.slice(at, at + 6), ["-audiodev", "pa,id=snd0", "-device", "ich9-intel-hda", "-device", "hda-output,audiodev=snd0"]);
    const { args, warnings } = buildQemuCommandLine(input({ audio: { device: "none", interface: "virtio" } }));
    assert.ok(args.includes("none,id=snd0"));
    assert.deepEqual(warnings, []);
    const old = buildQemuCommandLine(input({ audio: { device: "pa", interface: "virtio" } }));
    assert.ok(old.args.includes("ich9-intel-hda"));
    assert.equal(old.warnings.length, 1);
    assert.ok(buildQemuArgs(input({ audio: { device: "pa", interface: "virtio" }, qemuVersion: { major: 8, minor: 2, patch: 0 } })).includes("virtio-sound-pci,audiodev=snd0"));
  });

  it("adds socket networks with fd placeholders and a guest agent port on Windows hosts", () => {
    const args = buildQemuArgs(input({ networks: [{ kind: "socket", socketPath: "/run/vde.sock", macAddress: "52:55:55:aa:bb:cc" }], virtioGA: true }));
    const at = args.indexOf("virtio-rng-pci");
    assert.deepEqual(args.slice(at - 5, at), ["-netdev", `socket,id=net1,fd=${fdConnect("/run/vde.sock")}`, "-device", "virtio-net-pci,netdev=net1,mac=52:55:55:aa:bb:cc", "-device"]);
    const ga = args.indexOf("virtio-serial");
    assert.deepEqual(args.slice(ga - 3, ga + 3), [
      "-chardev", `socket,path=${INST}/ga.sock,server=on,wait=off,id=qga0`,
      "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=io.lima-vm.guest_agent.0",
    ]);
  });

  it("uses a socket netdev as net0 for user-v2 and a stream netdev with reconnect", () => {
    const args = buildQemuArgs(input({
      usernetSocket: "/home/u/.lima/_networks/user-v2/user-v2_qemu.sock",
      networks: [{ kind: "skip" }, { kind: "stream", socketPath: "/var/run/socket_vmnet.shared", macAddress: "52:55:55:00:00:01" }],
      qemuVersion: { major: 9, minor: 2, patch: 0 },
    }));
    assert.ok(args.includes(`socket,id=net0,fd=${fdConnect("/home/u/.lima/_networks/user-v2/user-v2_qemu.sock")}`));
    assert.ok(args.includes("stream,id=net2,server=off,addr.type=unix,addr.path=/var/run/socket_vmnet.shared,reconnect-ms=500"));
    assert.ok(!args.some((a) => a.startsWith("virtio-net-pci,netdev=net1")));
  });

  it("adds swtpm devices and rejects TPM on ppc64le", () => {
    const args = buildQemuArgs(input({ tpm: true }));
    assert.ok(args.includes("emulator,id=tpm0,chardev=chrtpm"));
    assert.ok(args.includes("tpm-crb,tpmdev=tpm0"));
    assert.throws(() => buildQemuArgs(input({ tpm: true, arch: "ppc64le", firmware: undefined })), /TPM is not supported for architecture `ppc64le`/);
  });

  it("attaches Windows installer media as CD-ROMs until the installation is done", () => {
    const files = { disk: true, iso: true, kernel: false, initrd: false, virtioWin: true };
    const args = buildQemuArgs(input({ os: "Windows", files }));
    assert.ok(args.includes(`file=${INST}/virtio-win,format=raw,media=cdrom,readonly=on`));
    assert.ok(args.includes(`file=${INST}/cidata.iso,format=raw,media=cdrom,readonly=on`));
    assert.ok(!args.includes("virtio-scsi,id=scsi0"));
    assert.ok(!args.includes("virtconsole,chardev=char-serial-virtio,id=console0"));
    const done = buildQemuArgs(input({ os: "Windows", files: { ...files, winDoneInstallation: true } }));
    assert.ok(!done.some((a) => a.includes("media=cdrom")));
    const arm = buildQemuArgs(input({ os: "Windows", arch: "aarch64", files, display: "default" }));
    assert.ok(arm.includes("usb-storage,drive=cd0"));
    assert.ok(arm.includes("ramfb"));
  });
});
