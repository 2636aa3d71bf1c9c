// Driver registry: internal drivers by name; external `lima-driver-<name>` programs are
// discovered lazily (LIMA_DRIVERS_PATH, <prefix>/libexec/lima) by the external driver issue.
import type { Driver } from "./driver.js";

export interface DriverEntry {
  name: string;
  /** "internal" or the path of an external driver program. */
  location: string;
  /** Creates a driver for one instance directory. */
  create(): Driver;
}

const internal = new Map<string, DriverEntry>();

export function registerInternal(entry: DriverEntry): void {
  if (!internal.has(entry.name)) internal.set(entry.name, entry);
}

export function lookupDriver(name: string): DriverEntry | undefined {
  return internal.get(name);
}

export function driverNames(): string[] {
  return [...internal.keys()];
}

export function allDrivers(): DriverEntry[] {
  return [...internal.values()];
}
