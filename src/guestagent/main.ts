// `lima-guestagent`: the program inside the guest (compiled by bun into one executable, see
// scripts/build-guestagent.mjs). Commands: `daemon`, `install-systemd`, and `yq` (also when
// invoked under the name `yq`: the boot script runs `lima-guestagent yq` for provision.yq).
import path from "node:path";
import { configureLogger, logger } from "../log/logger.js";
import { VERSION } from "../version.js";
import { parseGoDuration } from "./duration.js";
import { parseFlags, type FlagSpec, type FlagValues } from "./flags.js";
import { serveGuestAgent, type GuestAgentServer } from "./server.js";
import { installSystemd, type TransportFlags } from "./systemd.js";
import { bridgeVirtioPort, VIRTIO_PORTS_DIR } from "./virtio.js";

const DEFAULT_SOCKET = "/run/lima-guestagent.sock";

const TRANSPORT_FLAGS: Record<string, FlagSpec> = {
  "vsock-port": { kind: "int", default: 0 },
  "virtio-port": { kind: "string", default: "" },
  "socket-owner": { kind: "int", default: 0 },
  debug: { kind: "bool", default: false },
};

const DAEMON_FLAGS: Record<string, FlagSpec> = {
  ...TRANSPORT_FLAGS,
  "runtime-dir": { kind: "string", default: "/run/lima-guestagent" },
  // Lima's default is 3s; cheap /proc polling lets us report port changes within a quarter second.
  // Lima lists every 3 s; here the socket-count watcher (server.ts) reports changes within 250 ms,
  // so the full listing is only a safety net (each costs ~20 ms of a TCG core).
  tick: { kind: "string", default: "30s" },
  // Hidden, for tests: serve on this unix socket instead of /run/lima-guestagent.sock, as any user.
  socket: { kind: "string", default: "" },
};

const INSTALL_FLAGS: Record<string, FlagSpec> = { ...TRANSPORT_FLAGS, "guestagent-updated": { kind: "bool", default: false } };

const USAGE = `Do not launch manually

Usage:
  lima-guestagent [command]

Available Commands:
  daemon          Run the daemon
  install-systemd Install a systemd unit (user)
  yq              yq (https://github.com/mikefarah/yq)

Flags:
      --debug     Debug mode
  -h, --help      help for lima-guestagent
  -v, --version   version for lima-guestagent
`;

function transportFlags(values: FlagValues): TransportFlags {
  return {
    vsockPort: values["vsock-port"] as number,
    virtioPort: values["virtio-port"] as string,
    socketOwner: values["socket-owner"] as number,
    debug: values.debug as boolean,
  };
}

function useDebug(values: FlagValues): void {
  if (values.debug) configureLogger({ level: "debug", debug: true });
}

/** The daemon's listener: the unix socket, or the virtio port bridged to an internal socket. */
async function listen(values: FlagValues, tickMs: number): Promise<{ server: GuestAgentServer; bridge?: { close(): void } }> {
  const runtimeDir = values["runtime-dir"] as string;
  const virtioPort = values["virtio-port"] as string;
  const common = { runtimeDir, tickMs, socketOwner: values["socket-owner"] as number };
  if ((values["vsock-port"] as number) !== 0) {
    throw new Error("--vsock-port is not supported by this guest agent (lima-ts: bun has no AF_VSOCK sockets); use the unix socket (QEMU) instead");
  }
  if (virtioPort !== "") {
    const internal = path.join(runtimeDir, "virtio-bridge.sock");
    const server = await serveGuestAgent({ ...common, socketPath: internal, socketOwner: 0 });
    const bridge = bridgeVirtioPort(path.join(VIRTIO_PORTS_DIR, virtioPort), internal);
    logger.info(`serving the guest agent on qemu serial file: ${virtioPort}`);
    return { server, bridge };
  }
  const socketPath = (values.socket as string) || DEFAULT_SOCKET;
  const server = await serveGuestAgent({ ...common, socketPath });
  logger.info(`serving the guest agent on \`${socketPath}\``);
  return { server };
}

async function daemon(args: string[]): Promise<void> {
  const { values } = parseFlags(args, DAEMON_FLAGS);
  useDebug(values);
  const tickMs = parseGoDuration(values.tick as string);
  if (tickMs === 0) throw new Error("tick must be specified");
  if (tickMs < 0) throw new Error("non-positive interval for --tick");
  if (!values.socket && process.geteuid?.() !== 0) throw new Error("must run as the root user");
  logger.info(`event tick: ${values.tick as string}`);
  const { server, bridge } = await listen(values, tickMs);
  const stop = (): void => {
    logger.debug("Received SIGTERM, shutting down the guest agent");
    bridge?.close();
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function installSystemdCommand(args: string[]): void {
  const { values } = parseFlags(args, INSTALL_FLAGS);
  useDebug(values);
  installSystemd(process.execPath, transportFlags(values), values["guestagent-updated"] as boolean);
}

async function yq(args: string[]): Promise<void> {
  const { runYqCLI } = await import("../yq/index.js");
  process.exitCode = await runYqCLI(args, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

/** The name we were started as: the executable under bun, the script under node. */
function invokedName(): string {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  return path.basename((isBun ? process.argv0 : process.argv[1]) ?? "").split(".")[0] ?? "";
}

async function main(argv: string[]): Promise<void> {
  if (invokedName() === "yq") return yq(argv);
  const [command, ...rest] = argv;
  switch (command) {
    case "yq":
      return yq(rest);
    case "daemon":
      return daemon(rest);
    case "install-systemd":
      return installSystemdCommand(rest);
    case "--version":
    case "-v":
      process.stdout.write(`lima-guestagent version ${VERSION}\n`);
      return;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      throw new Error(`unknown command "${command}" for "lima-guestagent"`);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  logger.fatal(err.message);
  process.exit(1);
});
