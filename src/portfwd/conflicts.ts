// Which other instance holds a host address we failed to bind: each host agent's ha.stdout.log
// records its port-forward events, so replaying them tells what a live host agent forwards
// (Lima's Go host agents included). Nothing extra is written, so nothing goes stale on a crash:
// a dead host agent (no live ha.pid) holds nothing.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { PortForwardEvent } from "../hostagent/events.js";
import * as filenames from "../store/filenames.js";
import { isProcessAlive } from "../store/pidfile.js";
import { readFileIfExists } from "../util/fsutil.js";
import { splitHostPortNumber } from "../guestagent/tunnel.js";
import { canonicalIP, isUnspecified } from "./rules.js";

/** Only the tail of a long-running instance's log is replayed. */
const MAX_LOG_BYTES = 4 << 20;

/** Host addresses ("proto hostAddr") an event log leaves forwarded, in order of the events. */
export function forwardedHostAddrs(logText: string): Set<string> {
  const held = new Set<string>();
  for (const line of logText.split("\n")) {
    // A host agent that exited (an earlier run appending to the same log) holds nothing.
    if (line.includes('"exiting":true')) held.clear();
    const pf = portForwardOf(line);
    if (!pf?.hostAddr || !pf.protocol) continue;
    const key = `${pf.protocol} ${pf.hostAddr}`;
    if (pf.type === "forwarding") held.add(key);
    else held.delete(key);
  }
  return held;
}

function portForwardOf(line: string): PortForwardEvent | undefined {
  if (!line.includes('"portForward"')) return undefined;
  try {
    const ev = JSON.parse(line) as { status?: { portForward?: PortForwardEvent } };
    return ev.status?.portForward;
  } catch {
    return undefined;
  }
}

/** Whether two host addresses of the same protocol compete for one port. */
export function hostAddrsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const ha = splitHostPortNumber(a);
  const hb = splitHostPortNumber(b);
  if (!ha || !hb || ha.port !== hb.port) return false;
  const ipA = canonicalIP(ha.host);
  const ipB = canonicalIP(hb.host);
  return ipA === ipB || isUnspecified(ipA) || isUnspecified(ipB);
}

function tail(file: string): string {
  const size = statSync(file).size;
  const start = Math.max(0, size - MAX_LOG_BYTES);
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function hostAgentAlive(instDir: string): boolean {
  const pid = Number.parseInt(readFileIfExists(path.join(instDir, filenames.HostAgentPID))?.trim() ?? "", 10);
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid);
}

/** The name of another running instance in `limaHome` that forwards `hostAddr`, if any. */
export function findForwardingInstance(limaHome: string, ownInstDir: string, protocol: string, hostAddr: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(limaHome).filter((n) => !n.startsWith("_") && !n.startsWith(".")).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const dir = path.join(limaHome, name);
    if (path.resolve(dir) === path.resolve(ownInstDir)) continue;
    const log = path.join(dir, filenames.HostAgentStdoutLog);
    try {
      if (!hostAgentAlive(dir)) continue;
      for (const key of forwardedHostAddrs(tail(log))) {
        const [proto, addr] = [key.slice(0, key.indexOf(" ")), key.slice(key.indexOf(" ") + 1)];
        if (proto === protocol && hostAddrsOverlap(addr, hostAddr)) return name;
      }
    } catch {
      // Not an instance, or its log is unreadable: it cannot be named.
    }
  }
  return undefined;
}
