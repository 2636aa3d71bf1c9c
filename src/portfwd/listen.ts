// Host-side listeners for forwarded ports, and how their failures are reported.
import dgram from "node:dgram";
import { lstatSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { isErrno, LimaError } from "../util/errors.js";
import { splitHostPortNumber } from "../guestagent/tunnel.js";

/** Directory mode for a unix-socket host address's parent (Lima: 0755). */
const SOCKET_DIR_MODE = 0o755;

export function isSocketPath(hostAddr: string): boolean {
  return path.isAbsolute(hostAddr);
}

/** Removes a stale unix socket; refuses to remove anything that is not a socket. */
export function removeStaleSocket(file: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(file).isSocket();
  } catch (err) {
    if (isErrno(err, "ENOENT")) return;
    throw err;
  }
  if (!isSocket) throw new LimaError(`refusing to remove ${JSON.stringify(file)}: not a socket`);
  rmSync(file, { force: true });
}

function prepareUnixSocket(file: string, dirMode = SOCKET_DIR_MODE): void {
  try {
    removeStaleSocket(file);
  } catch (err) {
    throw new LimaError(`can't clean up ${JSON.stringify(file)}: ${(err as Error).message}`, { cause: err });
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: dirMode });
}

/** Listens for TCP (SO_REUSEADDR, libuv's default on Unix) or on a unix socket path. */
export function listenStream(hostAddr: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  // Half-open: a client's FIN must not cut the guest's reply short.
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, onConnection);
  let options: net.ListenOptions;
  if (isSocketPath(hostAddr)) {
    prepareUnixSocket(hostAddr);
    options = { path: hostAddr };
  } else {
    const hp = splitHostPortNumber(hostAddr);
    if (!hp) return Promise.reject(new LimaError(`invalid host address ${JSON.stringify(hostAddr)}`));
    options = { host: hp.host, port: hp.port, exclusive: true };
  }
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/**
 * Datagrams wait here while the event loop is busy; asks for more than the usual 208 KiB default
 * (the kernel caps it at net.core.rmem_max).
 */
const UDP_RECEIVE_BUFFER_BYTES = 4 << 20;

/**
 * Binds a UDP socket. Without SO_REUSEADDR: on Linux it would let two instances bind the same
 * port and silently split the datagrams between them.
 */
export function bindDatagram(hostAddr: string): Promise<dgram.Socket> {
  const hp = splitHostPortNumber(hostAddr);
  if (!hp) return Promise.reject(new LimaError(`invalid host address ${JSON.stringify(hostAddr)}`));
  const socket = dgram.createSocket({ type: net.isIPv6(hp.host) ? "udp6" : "udp4", reuseAddr: false });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: hp.host, port: hp.port, exclusive: true }, () => {
      socket.off("error", reject);
      try {
        socket.setRecvBufferSize(UDP_RECEIVE_BUFFER_BYTES);
      } catch {
        // The default buffer still works; bursts may drop earlier.
      }
      resolve(socket);
    });
  });
}

/** Lima's list of listen failures that are expected on a desktop and not worth a warning. */
export function negligibleReason(err: unknown, proto: string, hostAddr: string): string | undefined {
  if (proto === "unix" || isSocketPath(hostAddr)) return undefined;
  if (isErrno(err, "EACCES")) return "privileged port";
  const port = splitHostPortNumber(hostAddr)?.port;
  if (port === 53) return "DNS port (often conflicts with the system resolver)";
  if (proto !== "udp") return undefined;
  if (port === 323) return "NTP port (often conflicts with the system NTP server)";
  if (port === 5353) return "mDNS port (often conflicts with the system mDNS responder)";
  if (port === 5355) return "LLMNR port (often conflicts with the system LLMNR responder)";
  return undefined;
}

/** Facts deciding whether this process may bind a low port. */
export interface PortPrivilege {
  isRoot: boolean;
  /** Lowest port an unprivileged process may bind (Linux `net.ipv4.ip_unprivileged_port_start`). */
  unprivilegedPortStart: number;
}

const DEFAULT_UNPRIVILEGED_PORT_START = 1024;

export function hostPortPrivilege(): PortPrivilege {
  const isRoot = process.getuid?.() === 0;
  if (process.platform !== "linux") return { isRoot, unprivilegedPortStart: DEFAULT_UNPRIVILEGED_PORT_START };
  try {
    const value = Number.parseInt(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim(), 10);
    return { isRoot, unprivilegedPortStart: Number.isInteger(value) ? value : DEFAULT_UNPRIVILEGED_PORT_START };
  } catch {
    return { isRoot, unprivilegedPortStart: DEFAULT_UNPRIVILEGED_PORT_START };
  }
}

/** Why this process cannot bind `hostAddr`, naming the rule and the fix; undefined when it can. */
export function privilegedPortProblem(hostAddr: string, privilege: PortPrivilege, ruleName: string): string | undefined {
  if (privilege.isRoot || isSocketPath(hostAddr)) return undefined;
  const port = splitHostPortNumber(hostAddr)?.port;
  if (port === undefined || port === 0 || port >= privilege.unprivilegedPortStart) return undefined;
  return (
    `host port ${port} is privileged (below ${privilege.unprivilegedPortStart}) and the host agent does not run as root; ` +
    `${ruleName} maps a guest port to it: add a portForwards rule with hostPort >= 1024 for that guest port in lima.yaml ` +
    `(or lower net.ipv4.ip_unprivileged_port_start on the host)`
  );
}
