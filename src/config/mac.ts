// Default MAC addresses. Apart from host.ts so that reading host facts does not load node:crypto.
import { createHash } from "node:crypto";
import { machineId } from "./host.js";

/** `52:55:55:` + the first 3 bytes of SHA-256(machine-id + seed): stable per host and per network slot. */
export function macAddress(seed: string, id: string = machineId()): string {
  const sha = createHash("sha256").update(id + seed).digest();
  return ["52", "55", "55", ...[...sha.subarray(0, 3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}
