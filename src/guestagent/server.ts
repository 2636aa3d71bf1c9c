// The GuestService gRPC server on a unix socket: GetInfo, GetEvents, PostInotify, Tunnel, SyncTime.
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, utimesSync } from "node:fs";
import type http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import {
  fromTimestamp,
  GUEST_SERVER_OPTIONS,
  guestServiceDefinition,
  type GuestServiceHandlers,
  type Inotify,
} from "./api/index.js";
import { PortWatcher, streamEvents } from "./events.js";
import { KubernetesServiceWatcher } from "./kubernetes.js";
import { LocalPorts } from "./ports.js";
import { openSockDiag } from "./sockdiag.js";
import { watchSocketCounts } from "./sockstat.js";
import { syncTime } from "./timesync.js";
import { handleTunnel } from "./tunnel.js";
import { logger } from "../log/logger.js";

/**
 * How often the socket counts are checked (natively): a new or closed listener is reported within
 * ~this. Measured in a TCG guest: 100 ms cost the native thread 0.5 % of a core, 250 ms 0.2 %.
 */
const SOCKET_COUNTS_INTERVAL_MS = 250;

const SHUTDOWN_GRACE_MS = 500;

export interface GuestAgentOptions {
  socketPath: string;
  runtimeDir: string;
  tickMs: number;
  /** UID that gets the socket (mode 0600); 0 keeps it root's. */
  socketOwner: number;
  /** Directory of the tcp/tcp6/udp/udp6 tables (tests point it at fixtures). */
  procNetDir?: string;
  /** Watch Kubernetes services through kubectl (default true). */
  kubernetes?: boolean;
}

export interface GuestAgentServer {
  close(): Promise<void>;
}

function postInotify(event: Inotify): void {
  const when = fromTimestamp(event.time);
  if (!when || !existsSync(event.mount_path)) return;
  try {
    utimesSync(event.mount_path, when, when);
  } catch (err) {
    logger.error(`error in inotify handle. Event: ${event.mount_path}, Error: ${(err as Error).message}`);
  }
}

function handlers(ports: LocalPorts, watcher: PortWatcher, runtimeDir: string): GuestServiceHandlers {
  return {
    GetInfo: (_call, callback) => {
      try {
        callback(null, { local_ports: ports.read().ports });
      } catch (err) {
        callback({ code: grpc.status.UNKNOWN, details: (err as Error).message });
      }
    },
    GetEvents: (call) => streamEvents(call, watcher, runtimeDir),
    PostInotify: (call, callback) => {
      call.on("data", postInotify);
      call.on("end", () => callback(null, {}));
      call.on("error", () => undefined); // the client went away; nothing to answer
    },
    Tunnel: handleTunnel,
    SyncTime: (call, callback) => {
      syncTime(call.request).then(
        (response) => callback(null, response),
        (err: Error) => callback({ code: grpc.status.UNKNOWN, details: err.message }),
      );
    },
  };
}

/**
 * HTTP/2 flow-control windows as large as Lima's guest agent uses (it sets 512 MiB): with the
 * default 64 KiB, a tunnel stalls for a window update every 64 KiB, one SSH round trip each, which
 * held host→guest tunnels to ~5 MiB/s in a TCG guest. grpc-js has no server option for it, so the
 * window is set on its HTTP/2 sessions (a private field; without it the defaults stay).
 */
const FLOW_CONTROL_WINDOW = 64 << 20;

type ServerInternals = { http2Servers?: Map<http2.Http2Server, unknown>; commonServerOptions?: http2.ServerOptions };

/** Before bind: the initial stream window goes into the SETTINGS of the HTTP/2 server bind creates. */
function widenStreamWindows(server: grpc.Server): void {
  const options = (server as unknown as ServerInternals).commonServerOptions;
  if (options) options.settings = { ...options.settings, initialWindowSize: FLOW_CONTROL_WINDOW };
}

/** After bind: each new connection's own window. */
function widenConnectionWindows(server: grpc.Server): void {
  for (const h2 of (server as unknown as ServerInternals).http2Servers?.keys() ?? []) {
    h2.on("session", (session: http2.ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(FLOW_CONTROL_WINDOW);
      } catch (err) {
        logger.debug(`cannot widen the HTTP/2 connection window: ${(err as Error).message}`);
      }
    });
  }
}

function bind(server: grpc.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
}

export async function serveGuestAgent(options: GuestAgentOptions): Promise<GuestAgentServer> {
  mkdirSync(options.runtimeDir, { recursive: true, mode: 0o755 });
  const kube = options.kubernetes === false ? undefined : new KubernetesServiceWatcher();
  const sockDiag = options.procNetDir ? undefined : await openSockDiag();
  logger.debug(sockDiag ? "listing sockets with netlink sock_diag" : "listing sockets from /proc/net");
  const ports = new LocalPorts(options.procNetDir, kube, sockDiag);
  const watcher = new PortWatcher(ports, options.tickMs);
  const socketCounts = await watchSocketCounts(SOCKET_COUNTS_INTERVAL_MS, options.runtimeDir, () => watcher.poke());
  const server = new grpc.Server(GUEST_SERVER_OPTIONS);
  server.addService(guestServiceDefinition(), handlers(ports, watcher, options.runtimeDir));
  widenStreamWindows(server);
  rmSync(options.socketPath, { force: true });
  // Created 0600 from the start (no window in which other users could connect), then handed over.
  const umask = process.umask(0o177);
  try {
    await bind(server, options.socketPath);
  } finally {
    process.umask(umask);
  }
  widenConnectionWindows(server);
  if (options.socketOwner > 0) chownSync(options.socketPath, options.socketOwner, -1);
  chmodSync(options.socketPath, 0o600);
  kube?.start();
  return {
    close: async () => {
      kube?.stop();
      // GetEvents streams never end by themselves: cancel what is left after a short grace
      // (each stream saves its state when cancelled).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      ports.close();
      socketCounts.close();
      rmSync(options.socketPath, { force: true });
    },
  };
}
