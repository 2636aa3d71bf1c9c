// Listening sockets through netlink NETLINK_SOCK_DIAG (what Lima uses), called through bun:ffi in
// the compiled agent. Asking the kernel for LISTEN (TCP) and CLOSE (unconnected UDP) sockets only
// makes it skip the established-connections hash table, which /proc/net/tcp walks in full on
// every read (about 1 ms of kernel time per read on a large machine). Under node (tests) this is
// unavailable and the agent reads /proc/net instead.
import type { IPPort } from "./api/index.js";
import { bunFFI, errnoText, type FFIFunction, openLibc } from "./ffi.js";
import { goIPString, type Protocol } from "./procnet.js";

const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const MSG_DONTWAIT = 0x40;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const TCP_LISTEN = 10;
const TCP_CLOSE = 7; // what an unconnected UDP socket reports
const NLMSG_HDRLEN = 16;
const REQUEST_LEN = NLMSG_HDRLEN + 56; // nlmsghdr + inet_diag_req_v2
const INET_DIAG_MSG_MIN = 72;

export const SOCK_DIAG_QUERIES: readonly { family: number; protocol: Protocol }[] = [
  { family: AF_INET, protocol: "tcp" },
  { family: AF_INET6, protocol: "tcp" },
  { family: AF_INET, protocol: "udp" },
  { family: AF_INET6, protocol: "udp" },
];

/** The SOCK_DIAG_BY_FAMILY dump request for one family and protocol, in the wanted state only. */
export function sockDiagRequest(family: number, protocol: Protocol, seq: number): Uint8Array {
  const buf = new Uint8Array(REQUEST_LEN);
  const view = new DataView(buf.buffer);
  view.setUint32(0, REQUEST_LEN, true);
  view.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  view.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  view.setUint32(8, seq, true);
  buf[16] = family;
  buf[17] = protocol === "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
  view.setUint32(20, 1 << (protocol === "tcp" ? TCP_LISTEN : TCP_CLOSE), true);
  return buf;
}

/**
 * Parses one recv() worth of netlink messages. `done` is true at NLMSG_DONE; an NLMSG_ERROR
 * throws its errno.
 */
export function parseSockDiag(data: Uint8Array, protocol: Protocol): { ports: IPPort[]; done: boolean } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ports: IPPort[] = [];
  const wantedState = protocol === "tcp" ? TCP_LISTEN : TCP_CLOSE;
  for (let off = 0; off + NLMSG_HDRLEN <= data.length; ) {
    const len = view.getUint32(off, true);
    const type = view.getUint16(off + 4, true);
    if (len < NLMSG_HDRLEN) break;
    if (type === NLMSG_DONE) return { ports, done: true };
    if (type === NLMSG_ERROR) throw new Error(`sock_diag: ${errnoText(-view.getInt32(off + NLMSG_HDRLEN, true))}`);
    const msg = off + NLMSG_HDRLEN;
    if (len - NLMSG_HDRLEN >= INET_DIAG_MSG_MIN && data[msg + 1] === wantedState) {
      const family = data[msg] ?? 0;
      const port = view.getUint16(msg + 4, false);
      const src = data.subarray(msg + 8, msg + (family === AF_INET ? 12 : 24));
      ports.push({ protocol, ip: goIPString(src), port });
    }
    off += (len + 3) & ~3;
  }
  return { ports, done: false };
}

const RECV_BUFFER = 64 * 1024;

export interface SockDiag {
  list(): IPPort[];
  close(): void;
}

/** A netlink sock_diag lister, or undefined when not running under bun (or netlink fails). */
export async function openSockDiag(): Promise<SockDiag | undefined> {
  const ffi = await bunFFI();
  if (!ffi) return undefined;
  const symbols = {
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i32" },
    recv: { args: ["i32", "ptr", "u64", "i32"], returns: "i32" },
    close: { args: ["i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  };
  let c: Record<keyof typeof symbols, FFIFunction>;
  try {
    c = openLibc(ffi, symbols);
  } catch {
    return undefined;
  }
  const errno = (): string => errnoText(ffi.read.i32(c.__errno_location()));
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return undefined;
  const buffer = new Uint8Array(RECV_BUFFER);
  let seq = 0;
  const query = (family: number, protocol: Protocol): IPPort[] => {
    const request = sockDiagRequest(family, protocol, ++seq);
    if (c.sendto(fd, request, request.length, 0, null, 0) < 0) throw new Error(`sock_diag: sendto: ${errno()}`);
    const ports: IPPort[] = [];
    for (;;) {
      // The kernel queues the dump's first part during sendto and makes the next on each recv.
      const n = c.recv(fd, buffer, buffer.length, MSG_DONTWAIT);
      if (n < 0) throw new Error(`sock_diag: recv: ${errno()}`);
      const part = parseSockDiag(buffer.subarray(0, n), protocol);
      ports.push(...part.ports);
      if (part.done || n === 0) return ports;
    }
  };
  // One probe: a kernel without sock_diag for some family fails here, and we fall back to /proc.
  try {
    query(AF_INET, "tcp");
  } catch {
    c.close(fd);
    return undefined;
  }
  return {
    list: () =>
      SOCK_DIAG_QUERIES.flatMap((q) => {
        try {
          return query(q.family, q.protocol);
        } catch (err) {
          if (q.family === AF_INET6) return []; // IPv6 disabled in the guest
          throw err;
        }
      }),
    close: () => void c.close(fd),
  };
}
