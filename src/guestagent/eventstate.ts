// `<runtime-dir>/event-state.json`: the ports the last GetEvents stream reported, so that a host
// agent that reconnects (or a restarted guest agent) hears only what changed meanwhile. Same JSON
// as Lima's (Go's encoding/json of the proto structs: omitempty fields).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { IPPort } from "./api/index.js";

export const EVENT_STATE_FILE = "event-state.json";

export function eventStatePath(runtimeDir: string): string {
  return path.join(runtimeDir, EVENT_STATE_FILE);
}

export function encodeEventState(ports: IPPort[]): string {
  if (ports.length === 0) return "{}";
  const omitEmpty = (p: IPPort): Partial<IPPort> => ({
    ...(p.protocol ? { protocol: p.protocol } : {}),
    ...(p.ip ? { ip: p.ip } : {}),
    ...(p.port ? { port: p.port } : {}),
  });
  return JSON.stringify({ ports: ports.map(omitEmpty) });
}

export function decodeEventState(text: string, file: string): IPPort[] {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "object" || parsed === null) throw new Error(`${file}: expected a JSON object`);
  const ports = (parsed as { ports?: unknown }).ports;
  if (ports === undefined || ports === null) return [];
  if (!Array.isArray(ports)) throw new Error(`${file}: field "ports" must be an array`);
  return ports.map((p: unknown, i) => {
    if (typeof p !== "object" || p === null) throw new Error(`${file}: ports[${i}] must be an object`);
    const { protocol = "", ip = "", port = 0 } = p as Partial<IPPort>;
    if (typeof protocol !== "string" || typeof ip !== "string" || typeof port !== "number") {
      throw new Error(`${file}: ports[${i}] needs string "protocol" and "ip" and a number "port"`);
    }
    return { protocol, ip, port };
  });
}

/** The saved ports; none when the file does not exist (it lives on tmpfs: gone after a reboot). */
export function loadEventState(runtimeDir: string): IPPort[] {
  const file = eventStatePath(runtimeDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return decodeEventState(text, file);
}

export function saveEventState(runtimeDir: string, ports: IPPort[]): void {
  writeFileSync(eventStatePath(runtimeDir), encodeEventState(ports), { mode: 0o644 });
}
