// Shared inputs for the cidata tests: a typical defaults-filled instance and its template args.
import type { LimaYAML } from "../../../src/config/types.js";
import type { TemplateArgs } from "../../../src/cidata/args.js";
import type { Instance } from "../../../src/store/instance.js";

export const PUB_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey lima";

export function typicalArgs(): TemplateArgs {
  return {
    debug: false,
    os: "Linux",
    arch: "x86_64",
    name: "default",
    hostname: "lima-default",
    iid: "iid-1700000000",
    user: "alice",
    comment: "Alice Liddell",
    home: "/home/alice.linux",
    shell: "/bin/bash",
    uid: 1000,
    passwordlessSudo: true,
    sshPubKeys: [PUB_KEY],
    mounts: [
      {
        tag: "lima-1f2e3d4c5b6a7988",
        mountPoint: "/home/alice",
        type: "9p",
        options: "ro,trans=virtio,version=9p2000.L,msize=131072,cache=fscache,nofail",
      },
      { tag: "lima-00112233aabbccdd", mountPoint: "/tmp/lima", type: "9p", options: "rw,trans=virtio,version=9p2000.L,msize=131072,cache=mmap,nofail" },
    ],
    mountType: "9p",
    hostHomeMountPoint: "/home/alice",
    disks: [],
    guestInstallPrefix: "/usr/local",
    upgradePackages: false,
    containerd: { system: false, user: true, archive: "nerdctl-full.tgz" },
    networks: [{ macAddress: "52:55:55:12:34:56", interface: "eth0", metric: 200 }],
    slirpGateway: "192.168.5.2",
    slirpDNS: "192.168.5.3",
    slirpIPAddress: "192.168.5.15",
    udpDNSLocalPort: 40001,
    tcpDNSLocalPort: 40002,
    dnsAddresses: ["192.168.5.3"],
    env: { http_proxy: "http://192.168.5.2:3128", HTTP_PROXY: "http://192.168.5.2:3128", EDITOR: "vim" },
    param: { NAME: "world", DEBUG: "1" },
    dataFiles: [],
    yqProvisions: [],
    bootCmds: [],
    rosettaEnabled: false,
    rosettaBinFmt: false,
    skipDefaultDependencyResolution: false,
    vmType: "qemu",
    vsockPort: 0,
    virtioPort: "",
    plain: false,
    timeZone: "Europe/Berlin",
    noCloudInit: false,
  };
}

/** lima.yaml after defaults, as src/config fills it (only the fields cidata reads). */
export function typicalConfig(home: string): LimaYAML {
  return {
    vmType: "qemu",
    os: "Linux",
    arch: "x86_64",
    mounts: [
      {
        location: home,
        mountPoint: home,
        writable: false,
        "9p": { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "fscache" },
      },
      {
        location: "/tmp/lima",
        mountPoint: "/tmp/lima",
        writable: true,
        "9p": { securityModel: "none", protocolVersion: "9p2000.L", msize: "128KiB", cache: "mmap" },
      },
    ],
    mountType: "9p",
    additionalDisks: [{ name: "data", format: true, fsType: "ext4", fsArgs: ["-m", "0"] }, { name: "raw", format: false }],
    provision: [
      { mode: "system", script: "#!/bin/sh\necho system\n" },
      { mode: "boot", script: "echo boot-one\necho boot-two" },
      { mode: "data", path: "/etc/lima-data.conf", content: "key=value\n", owner: "root:root", permissions: "644", overwrite: false },
      { mode: "user", script: "#!/bin/sh\necho user\n" },
      { mode: "dependency", script: "#!/bin/sh\ntrue\n", skipDefaultDependencyResolution: false },
      { mode: "yq", path: "/etc/app.json", expression: ".a = 1", owner: "alice", permissions: "600", format: "auto" },
      { mode: "ansible", playbook: "site.yml" },
    ],
    upgradePackages: false,
    containerd: { system: false, user: false, archives: [] },
    guestInstallPrefix: "/usr/local",
    networks: [{ lima: "shared", macAddress: "52:55:55:aa:bb:cc", interface: "lima0", metric: 100 }],
    env: { EDITOR: "vim" },
    param: { GREETING: "hello" },
    dns: [],
    hostResolver: { enabled: true, ipv6: false, hosts: {} },
    propagateProxyEnv: false,
    caCerts: { removeDefaults: false, files: [], certs: [] },
    plain: false,
    timezone: "Etc/UTC",
    user: { name: "alice", comment: "Alice\tLiddell", home: "/home/alice.linux", shell: "/bin/bash", uid: 1000, passwordlessSudo: true },
    ssh: { loadDotSSHPubKeys: false },
  };
}

export function typicalInstance(dir: string, home: string): Instance {
  return {
    name: "default",
    hostname: "lima-default",
    status: "Stopped",
    dir,
    vmType: "qemu",
    arch: "x86_64",
    protected: false,
    limaVersion: "2.0.0",
    config: typicalConfig(home),
  };
}
