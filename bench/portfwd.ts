// Port forwarding, side by side in one run on the test guest: TCP throughput host→guest through
// the gRPC forwarder (Lima's default), the SSH forwarder (LIMA_SSH_PORT_FORWARDER=true) and a
// plain `ssh -L`; how fast a new guest listener appears on the host and a closed one is released;
// the guest agent's idle CPU and RSS over 60 s; and its size. Run: npm run bench:portfwd
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { guestAgentBinaryPath } from "../src/guestagent/binary.js";
import { freeTCPPort } from "../src/hostagent/hostagent.js";
import { ensureGuestImage, GUEST_TEMPLATE } from "../test/helpers/guest.js";
import { LIMACTL } from "../test/helpers/limactl.js";

const limaHome = mkdtempSync(path.join(os.tmpdir(), "lima-bench-pf-"));
const env = { ...process.env, LIMA_HOME: limaHome };
const NAME = "benchpf";
const inst = path.join(limaHome, NAME);
const MiB = 1 << 20;
const PAYLOAD_MIB = Number(process.env.BENCH_PAYLOAD_MIB ?? 256);
const LATENCY_SAMPLES = 5;
const IDLE_SECONDS = 60;

function limactl(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  const res = spawnSync(LIMACTL, args, { env: { ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 * MiB });
  if (res.status !== 0) throw new Error(`limactl ${args.join(" ")} failed:\n${res.stderr}`);
  return res.stdout;
}

/** A guest TCP sink: counts what it receives and answers the count when the sender half-closes. */
const SINK = String.raw`
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
def client(c):
    n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        n += len(d)
    c.sendall(str(n).encode()); c.close()
def serve():
    while True:
        c, _ = s.accept(); threading.Thread(target=client, args=(c,), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
print("listening", flush=True)
sys.stdin.read()
`;

function guestServer(port: number): { child: ChildProcess; listening: Promise<number> } {
  const child = spawn(LIMACTL, ["shell", NAME, "python3", "-u", "-c", SINK, String(port)], { env, stdio: ["pipe", "pipe", "inherit"] });
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => d.toString().includes("listening") && resolve(Date.now()));
    child.on("exit", (code) => reject(new Error(`guest sink exited (${code})`)));
  });
  return { child, listening };
}

async function stopGuestServer(s: { child: ChildProcess }): Promise<number> {
  const exited = new Promise((resolve) => s.child.on("exit", resolve));
  s.child.stdin?.end();
  await exited;
  return Date.now();
}

/** Sends PAYLOAD_MIB to the port; MiB/s until the sink confirmed the byte count. */
function throughput(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(MiB, 0x61);
    const sock = net.connect(port, "127.0.0.1");
    const t0 = Date.now();
    let answer = "";
    let sent = 0;
    const pump = (): void => {
      while (sent < PAYLOAD_MIB) {
        sent++;
        if (!sock.write(chunk)) return void sock.once("drain", pump);
      }
      sock.end();
    };
    sock.on("connect", pump);
    sock.on("data", (d) => (answer += d.toString()));
    sock.on("error", reject);
    sock.on("close", () => {
      if (Number(answer) !== PAYLOAD_MIB * MiB) return reject(new Error(`sink received ${answer} bytes`));
      resolve(PAYLOAD_MIB / ((Date.now() - t0) / 1000));
    });
  });
}

const connects = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.on("connect", () => (sock.destroy(), resolve(true)));
    sock.on("error", () => resolve(false));
  });

async function until(cond: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    // Not faster: each probe of a still-forwarded port opens a tunnel and loads the guest.
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function forwardedThroughput(): Promise<number> {
  const port = await freeTCPPort();
  const sink = guestServer(port);
  await sink.listening;
  await until(() => connects(port));
  const mibs = await throughput(port);
  await stopGuestServer(sink);
  await until(async () => !(await connects(port)));
  return mibs;
}

/** A plain `ssh -L` through its own connection (not the host agent's master), as users do by hand. */
async function plainSSHThroughput(): Promise<number> {
  const port = await freeTCPPort();
  const hostPort = await freeTCPPort();
  const sink = guestServer(port);
  await sink.listening;
  const ssh = spawn("ssh", ["-F", path.join(inst, "ssh.config"), "-o", "ControlPath=none", "-o", "ControlMaster=no", "-N", "-L", `127.0.0.1:${hostPort}:127.0.0.1:${port}`, `lima-${NAME}`], { stdio: "inherit" });
  await until(() => connects(hostPort));
  const mibs = await throughput(hostPort);
  ssh.kill();
  await stopGuestServer(sink);
  return mibs;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function latencies(): Promise<{ appear: number[]; release: number[] }> {
  const appear: number[] = [];
  const release: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const port = await freeTCPPort();
    const s = guestServer(port);
    const listening = await s.listening;
    await until(() => connects(port));
    appear.push(Date.now() - listening);
    const stopped = await stopGuestServer(s);
    await until(async () => !(await connects(port)));
    release.push(Date.now() - stopped);
  }
  return { appear, release };
}

/** CPU share of one core and RSS of the guest agent over IDLE_SECONDS with nothing changing. */
function guestAgentIdle(): { cpuPercent: number; rssMiB: number } {
  const script = `pid=$(systemctl show -p MainPID --value lima-guestagent)
t0=$(awk '{print $14+$15}' /proc/$pid/stat); sleep ${IDLE_SECONDS}; t1=$(awk '{print $14+$15}' /proc/$pid/stat)
echo "$((t1 - t0)) $(getconf CLK_TCK) $(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"`;
  const [ticks, hz, rssKiB] = limactl(["shell", NAME, "sudo", "sh", "-c", script]).trim().split(" ").map(Number);
  return { cpuPercent: (100 * (ticks ?? 0)) / (hz ?? 100) / IDLE_SECONDS, rssMiB: (rssKiB ?? 0) / 1024 };
}

function agentSizes(): string {
  const file = guestAgentBinaryPath("x86_64");
  if (!file) return "not built";
  const raw = readFileSync(file);
  const xz = spawnSync("xz", ["-9", "-c", "-T0", file], { maxBuffer: 512 * MiB });
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  return `${mb(statSync(file).size)} raw, ${mb(gzipSync(raw).length)} gzip, ${xz.status === 0 ? mb(xz.stdout.length) : "?"} xz`;
}

async function main(): Promise<void> {
  ensureGuestImage();
  limactl(["create", "--name", NAME, GUEST_TEMPLATE]);
  try {
    limactl(["start", NAME]);
    const idle = guestAgentIdle();
    const grpc = await forwardedThroughput();
    const plain = await plainSSHThroughput();
    const lat = await latencies();
    limactl(["stop", NAME]);
    limactl(["start", NAME], { LIMA_SSH_PORT_FORWARDER: "true" });
    const sshFwd = await forwardedThroughput();
    const sshLat = await latencies();
    const row = (name: string, v: string): string => `${name.padEnd(44)} ${v}`;
    console.log(`\nport forwarding (TCG guest, ${PAYLOAD_MIB} MiB host→guest, ${LATENCY_SAMPLES} latency samples, median)`);
    console.log(row("TCP throughput, gRPC forwarder", `${grpc.toFixed(1)} MiB/s (${(grpc / plain).toFixed(2)}× ssh -L)`));
    console.log(row("TCP throughput, SSH forwarder", `${sshFwd.toFixed(1)} MiB/s (${(sshFwd / plain).toFixed(2)}× ssh -L)`));
    console.log(row("TCP throughput, plain ssh -L", `${plain.toFixed(1)} MiB/s`));
    console.log(row("appear after listen(), gRPC / SSH forwarder", `${median(lat.appear)} ms / ${median(sshLat.appear)} ms  (all: ${lat.appear.join(", ")} / ${sshLat.appear.join(", ")})`));
    console.log(row("release after close(), gRPC / SSH forwarder", `${median(lat.release)} ms / ${median(sshLat.release)} ms  (all: ${lat.release.join(", ")} / ${sshLat.release.join(", ")})`));
    console.log(row(`guest agent idle over ${IDLE_SECONDS} s`, `${idle.cpuPercent.toFixed(2)} % of one core, ${idle.rssMiB.toFixed(1)} MiB RSS`));
    console.log(row("guest agent size (lima-guestagent.Linux-x86_64)", agentSizes()));
  } finally {
    spawnSync(LIMACTL, ["delete", "-f", NAME], { env, stdio: "ignore" });
    rmSync(limaHome, { recursive: true, force: true });
  }
}

await main();
