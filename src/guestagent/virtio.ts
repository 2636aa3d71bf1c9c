// `--virtio-port NAME`: QEMU (on Windows hosts) exposes the agent as the virtio-serial port
// /dev/virtio-ports/NAME, one byte stream that is never closed. @grpc/grpc-js only serves
// listeners, so the stream is bridged to one connection to the agent's own unix socket; when the
// device reports end of file (host side closed) the bridge re-opens it and starts a fresh
// HTTP/2 session.
import { closeSync, constants, createReadStream, createWriteStream, openSync } from "node:fs";
import net from "node:net";
import { logger } from "../log/logger.js";

export const VIRTIO_PORTS_DIR = "/dev/virtio-ports";
const REOPEN_DELAY_MS = 1000;

export function bridgeVirtioPort(devicePath: string, socketPath: string): { close(): void } {
  let stopped = false;
  let teardown: (() => void) | undefined;
  const start = (): void => {
    if (stopped) return;
    const fd = openSync(devicePath, constants.O_RDWR | constants.O_NOCTTY);
    const fromHost = createReadStream("", { fd, autoClose: false, highWaterMark: 256 * 1024 });
    const toHost = createWriteStream("", { fd, autoClose: false });
    const agent = net.connect(socketPath);
    let done = false;
    teardown = (): void => {
      if (done) return;
      done = true;
      fromHost.destroy();
      toHost.destroy();
      agent.destroy();
      try {
        closeSync(fd);
      } catch {
        // bun's streams may already have closed it
      }
      if (!stopped) setTimeout(restart, REOPEN_DELAY_MS);
    };
    fromHost.pipe(agent);
    agent.pipe(toHost);
    const onError = (err: Error): void => {
      logger.warn(`virtio port ${devicePath}: ${err.message}`);
      teardown?.();
    };
    fromHost.on("error", onError);
    toHost.on("error", onError);
    agent.on("error", onError);
    fromHost.on("end", () => teardown?.());
    agent.on("close", () => teardown?.());
  };
  const restart = (): void => {
    try {
      start();
    } catch (err) {
      logger.warn(`virtio port ${devicePath}: ${(err as Error).message}; retrying`);
      setTimeout(restart, REOPEN_DELAY_MS);
    }
  };
  start();
  return {
    close(): void {
      stopped = true;
      teardown?.();
    },
  };
}
