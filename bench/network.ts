// user-v2 networks (npm run bench:network), measured in one run:
//   switch     `limactl usernet` forwarding full-size frames between two QEMU-style stream
//              connections, vs. the same bytes over one plain unix socket (the switch's overhead)
//   guests     (--vm) two test guests on one user-v2 network, booted one after the other under the
//              machine-wide VM lock: ICMP echo RTT between them, and TCP throughput guest -> guest over
//              the switch vs. guest -> host over slirp (the NIC every guest already has)
// Options: --frames N (default 200000), --vm.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeFrame, FrameDecoder } from "../src/networks/usernet/switch.js";
import { createAndStart, ensureGuestImage, GUEST_TEMPLATE } from "../test/helpers/guest.js";
import { ICMP_PING_PY } from "../test/helpers/icmp.js";
import { LIMACTL, LimaHome } from "../test/helpers/limactl.js";

const FRAME_BYTES = 1514;
const PINGS = 20;
const TCP_MIB = 64;
const VM_LOCK = "/tmp/lima-ts-vm.lock";

const mac = (last: number): Buffer => Buffer.from([0x52, 0x55, 0x55, 0, 0, last]);

/** A frame from `src` to `dst`, padded to a full Ethernet frame. */
function frame(dst: Buffer, src: Buffer): Buffer {
  const f = Buffer.alloc(FRAME_BYTES);
  dst.copy(f, 0);
  src.copy(f, 6);
  f.writeUInt16BE(0x0800, 12);
  return f;
}

/** Sends `count` frames from `from` and resolves with the seconds until `to` has them all. */
async function pump(from: net.Socket, to: net.Socket, payload: Buffer, count: number, framed: boolean): Promise<number> {
  const decoder = new FrameDecoder();
  let received = 0;
  let bytes = 0;
  const done = new Promise<void>((resolve) => {
    to.on("data", (d: Buffer) => {
      if (framed) received += decoder.push(d).length;
      else bytes += d.length;
      if (received >= count || bytes >= count * payload.length) resolve();
    });
  });
  const start = process.hrtime.bigint();
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => payload));
  for (let sent = 0; sent < count; sent += 64) {
    if (!from.write(chunk)) await new Promise((r) => from.once("drain", r));
  }
  await done;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function connected(sock: string): Promise<net.Socket> {
  const socket = net.createConnection(sock);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return socket;
}

async function benchSwitch(frames: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lima-bench-net-"));
  const qemuSock = path.join(dir, "b_qemu.sock");
  const daemon = spawn(LIMACTL, ["usernet", "-p", path.join(dir, "usernet.pid"), "--listen-qemu", qemuSock, "--subnet", "192.168.104.0/24"], { stdio: "ignore" });
  try {
    for (let i = 0; i < 100 && !existsSync(qemuSock); i++) await sleep(100);
    const a = await connected(qemuSock);
    const b = await connected(qemuSock);
    // b announces itself, so that a's frames are unicast to b only
    b.write(encodeFrame(frame(Buffer.alloc(6, 0xff), mac(0x0b))));
    await sleep(200);
    a.removeAllListeners("data");
    const viaSwitch = await pump(a, b, encodeFrame(frame(mac(0x0b), mac(0x0a))), frames, true);
    a.destroy();
    b.destroy();

    const plainSock = path.join(dir, "plain.sock");
    let accepted: net.Socket | undefined;
    const server = net.createServer((s) => (accepted = s)).listen(plainSock);
    await new Promise((r) => server.once("listening", r));
    const client = await connected(plainSock);
    while (accepted === undefined) await sleep(10);
    const plain = await pump(client, accepted, encodeFrame(frame(mac(0x0b), mac(0x0a))), frames, false);
    client.destroy();
    server.close();

    const mbps = (s: number): string => ((frames * FRAME_BYTES * 8) / s / 1e6).toFixed(0);
    console.log(`switch: ${frames} frames of ${FRAME_BYTES} B through limactl usernet: ${viaSwitch.toFixed(2)} s (${(frames / viaSwitch / 1000).toFixed(0)} kframes/s, ${mbps(viaSwitch)} Mbit/s)`);
    console.log(`        the same bytes over one unix socket: ${plain.toFixed(2)} s (${mbps(plain)} Mbit/s); switch/plain time: ${(viaSwitch / plain).toFixed(1)}x`);
  } finally {
    daemon.kill("SIGINT");
    await new Promise((r) => daemon.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}


/** Sends N MiB to HOST:PORT and prints the seconds it took (the receiver closes when it has them all). */
const SEND_PY = `
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
block = b"x" * 65536
t = time.time()
for _ in range(int(sys.argv[3]) * 16):
    c.sendall(block)
c.shutdown(socket.SHUT_WR)
c.recv(1)
print("%.3f" % (time.time() - t))
`;

/** Receives until the sender shuts down, then closes: run in the background in a guest. */
const RECV_PY = `
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
while c.recv(1 << 20):
    pass
c.close()
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function benchGuests(): Promise<void> {
  ensureGuestImage();
  const home = new LimaHome();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-bench-net-"));
  const names = ["bn1", "bn2"] as const;
  const shell = async (name: string, args: string[], input?: string): Promise<string> => {
    const r = await home.limactl(["shell", name, ...args], { ...(input !== undefined ? { input } : {}), timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`${name}: ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  try {
    const yaml = path.join(tmp, "net.yaml");
    writeFileSync(yaml, `base: ${GUEST_TEMPLATE}\nmemory: 1GiB\ncpus: 1\nnetworks:\n- lima: user-v2\n`);
    for (const name of names) await createAndStart(home, name, yaml);
    const replies = (await shell(names[0], ["sudo", "python3", "-", `lima-${names[1]}.internal`, String(PINGS)], ICMP_PING_PY)).split("\n");
    const rtts = replies.map((r) => Number(/time=([\d.]+)/.exec(r)?.[1]));
    console.log(`guests: ICMP echo ${names[0]} -> ${names[1]} by name, ${PINGS} pings: median ${median(rtts).toFixed(2)} ms, min ${Math.min(...rtts).toFixed(2)} ms`);

    const port = 5201;
    await shell(names[1], ["sh", "-c", `cat > /tmp/recv.py && (python3 /tmp/recv.py ${port} >/dev/null 2>&1 &)`], RECV_PY);
    await sleep(1000);
    const peer = (await shell(names[1], ["sh", "-c", "ip -4 -o addr show | awk '/192\\.168\\.104\\./{print $4}' | cut -d/ -f1"])).trim();
    const overSwitch = Number(await shell(names[0], ["python3", "-", peer, String(port), String(TCP_MIB)], SEND_PY));

    const host = net.createServer((c) => {
      c.on("data", () => {});
      c.on("end", () => c.end());
    });
    await new Promise<void>((r) => host.listen(0, "0.0.0.0", r));
    const hostPort = (host.address() as net.AddressInfo).port;
    const overSlirp = Number(await shell(names[0], ["python3", "-", "192.168.5.2", String(hostPort), String(TCP_MIB)], SEND_PY));
    host.close();
    const mbps = (s: number): string => ((TCP_MIB * 8 * 1.048576) / s).toFixed(0);
    console.log(`guests: TCP ${TCP_MIB} MiB guest -> guest over user-v2: ${overSwitch.toFixed(2)} s (${mbps(overSwitch)} Mbit/s); guest -> host over slirp: ${overSlirp.toFixed(2)} s (${mbps(overSlirp)} Mbit/s)`);
  } finally {
    for (const name of names) await home.limactl(["delete", "-f", name]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (process.env.LIMA_BENCH_LOCKED === "1") return benchGuests();
  const framesAt = argv.indexOf("--frames");
  await benchSwitch(framesAt >= 0 ? Number(argv[framesAt + 1]) : 200_000);
  if (!argv.includes("--vm")) return;
  // one guest pair at a time machine-wide: the guest phase runs again under the VM lock
  const child = spawn("flock", [VM_LOCK, process.execPath, "--import", "tsx", process.argv[1] ?? ""], {
    stdio: "inherit",
    env: { ...process.env, LIMA_BENCH_LOCKED: "1" },
  });
  await new Promise((r) => child.once("exit", r));
}

await main();
