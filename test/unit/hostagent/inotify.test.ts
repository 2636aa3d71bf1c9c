// MountInotify against the real guest agent server on a unix socket: the "guest" is a second
// directory (the mount point), or the host directory itself, as a shared mount makes it.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, it } from "node:test";
import { guestServiceClient, type GuestServiceClient } from "../../../src/guestagent/api/index.js";
import { serveGuestAgent, type GuestAgentServer } from "../../../src/guestagent/server.js";
import { MountInotify } from "../../../src/hostagent/inotify.js";

const WAIT_MS = 5000;
const OLD = new Date("2001-02-03T04:05:06.789Z");

/** The guest agent sets times through a float of seconds: equal to the millisecond, give or take a rounding. */
const sameMs = (a: number, b: number): boolean => Math.abs(a - b) < 1;

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("MountInotify with the guest agent", () => {
  let tmp: string;
  let host: string;
  let guest: string;
  let agent: GuestAgentServer;
  let client: GuestServiceClient | undefined;
  let inotify: MountInotify | undefined;
  const socketPath = () => path.join(tmp, "ga.sock");

  async function startAgent(): Promise<void> {
    agent = await serveGuestAgent({ socketPath: socketPath(), runtimeDir: path.join(tmp, "run"), tickMs: 1000, socketOwner: 0, kubernetes: false });
    client = guestServiceClient(socketPath());
  }

  beforeEach(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "inotify-"));
    host = path.join(tmp, "host dir ü");
    guest = path.join(tmp, "guest");
    mkdirSync(path.join(host, "sub"), { recursive: true });
    mkdirSync(path.join(guest, "sub"), { recursive: true });
    await startAgent();
  });
  afterEach(async () => {
    inotify?.close();
    client?.close();
    await agent.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A guest file with an old mtime, to see it change. */
  function guestFile(rel: string): string {
    const file = path.join(guest, rel);
    writeFileSync(file, "");
    return file;
  }

  it("sets the guest file's mtime to the host file's, under the mount point, through a symlinked location", async () => {
    const link = path.join(tmp, "link");
    symlinkSync(host, link);
    inotify = await MountInotify.start({ mounts: [{ location: link, mountPoint: guest, writable: true }], client: () => client });
    assert.equal(inotify.watchedDirs, 2);
    const target = guestFile("sub/a.txt");
    utimesSync(target, OLD, OLD);
    writeFileSync(path.join(host, "sub", "a.txt"), "edited on the host");
    const hostMtime = Math.floor(statSync(path.join(host, "sub", "a.txt")).mtimeMs);
    await until("the guest file's mtime", () => sameMs(statSync(target).mtimeMs, hostMtime));
  });

  it("ignores read-only mounts", async () => {
    inotify = await MountInotify.start({ mounts: [{ location: host, mountPoint: guest }], client: () => client });
    assert.equal(inotify.watchedDirs, 0);
  });

  it("does not echo its own change through a shared mount forever", async () => {
    // The guest path is the host path: the guest agent's chtimes lands on the watched file.
    inotify = await MountInotify.start({ mounts: [{ location: host, writable: true }], client: () => client });
    const file = path.join(host, "shared.txt");
    writeFileSync(file, "one edit");
    const written = statSync(file, { bigint: true });
    await until("the guest agent's chtimes", () => statSync(file, { bigint: true }).ctimeNs !== written.ctimeNs);
    await sleep(100);
    const touched = statSync(file, { bigint: true }).ctimeNs;
    // A loop would chtimes it again every ~10 ms.
    await sleep(500);
    assert.equal(statSync(file, { bigint: true }).ctimeNs, touched, "the file was touched again after the first chtimes");
  });

  it("sends on the new client after the guest agent came back", async () => {
    inotify = await MountInotify.start({ mounts: [{ location: host, mountPoint: guest, writable: true }], client: () => client });
    const before = guestFile("before.txt");
    utimesSync(before, OLD, OLD);
    writeFileSync(path.join(host, "before.txt"), "x");
    await until("the first change", () => statSync(before).mtimeMs !== OLD.getTime());
    // The guest agent restarts; the link connects a new client, as GuestAgentLink does.
    client?.close();
    client = undefined;
    await agent.close();
    await startAgent();
    const after = guestFile("after.txt");
    utimesSync(after, OLD, OLD);
    writeFileSync(path.join(host, "after.txt"), "y");
    const hostMtime = Math.floor(statSync(path.join(host, "after.txt")).mtimeMs);
    await until("the change after the restart", () => sameMs(statSync(after).mtimeMs, hostMtime));
  });
});
