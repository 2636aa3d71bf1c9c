// `limactl usernet`: the user-v2 network of lima-ts. Where Lima runs gvisor-tap-vsock (a whole
// user-space TCP/IP stack with DHCP, DNS and NAT), this is a user-space Ethernet switch: every
// QEMU of the network connects a NIC to `--listen-qemu` and the guests talk to each other on
// layer 2. Addresses are fixed by the project (leases.json, cidata); internet, the host and SSH
// stay on each guest's own slirp NIC. Runs as the user, no root, no TAP device.
import { existsSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { logger } from "../../log/logger.js";
import { errorMessage, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { EthernetSwitch, encodeFrame, FrameDecoder } from "./switch.js";

export interface UsernetOptions {
  pidfile: string;
  endpoint: string;
  listenQemu: string;
  subnet: string;
  /** IP -> MAC, from `--leases`: what the endpoint reports besides leases.json. */
  leases: Record<string, string>;
  /** Reads the project's leases file (IP -> MAC). */
  readLeases: () => Record<string, string>;
}

function listen(server: net.Server | http.Server, socketPath: string): Promise<void> {
  rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** Connects each QEMU NIC as a switch port. */
function qemuServer(sw: EthernetSwitch<net.Socket>, connections: Set<net.Socket>): net.Server {
  return net.createServer((socket) => {
    sw.addPort(socket);
    connections.add(socket);
    logger.debug("QEMU NIC connected");
    const decoder = new FrameDecoder();
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        logger.warn(`dropping a QEMU connection: ${errorMessage(err)}`);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const wire = encodeFrame(frame);
        for (const port of sw.destinations(socket, frame)) if (port.writable) port.write(wire);
      }
    });
    const remove = (): void => {
      sw.removePort(socket);
      connections.delete(socket);
    };
    socket.on("close", remove);
    socket.on("error", remove);
  });
}

/** Lima's usernet API path for the leases, so that `curl --unix-socket <ep> http://lima/services/dhcp/leases` answers. */
function endpointServer(opts: UsernetOptions): http.Server {
  return http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/services/dhcp/leases") {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ ...opts.leases, ...opts.readLeases() }));
      return;
    }
    res.statusCode = 404;
    res.end("404 page not found\n");
  });
}

/** Runs until SIGINT/SIGTERM; the pid file and sockets are gone when it returns. */
export async function runUsernet(opts: UsernetOptions): Promise<void> {
  if (opts.pidfile !== "") {
    if (existsSync(opts.pidfile)) throw new LimaError(`pidfile ${q(opts.pidfile)} already exists`);
    writeFileSync(opts.pidfile, `${process.pid}\n`, { mode: 0o644 });
  }
  const servers: { server: net.Server | http.Server; path: string }[] = [];
  const connections = new Set<net.Socket>();
  const cleanup = (): void => {
    for (const socket of connections) socket.destroy();
    for (const { server, path } of servers) {
      server.close();
      rmSync(path, { force: true });
    }
    if (opts.pidfile !== "") rmSync(opts.pidfile, { force: true });
  };
  try {
    if (opts.listenQemu === "") throw new LimaError("usernet: --listen-qemu is required (the QEMU socket)");
    const sw = new EthernetSwitch<net.Socket>();
    const qemu = qemuServer(sw, connections);
    await listen(qemu, opts.listenQemu);
    servers.push({ server: qemu, path: opts.listenQemu });
    if (opts.endpoint !== "") {
      const ep = endpointServer(opts);
      await listen(ep, opts.endpoint);
      servers.push({ server: ep, path: opts.endpoint });
    }
    logger.info(`usernet switch for ${opts.subnet} listening on ${q(opts.listenQemu)}`);
  } catch (err) {
    cleanup();
    throw err;
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  cleanup();
}
