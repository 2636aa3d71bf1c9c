// Shared fixtures for the config tests: injectable host facts and a quiet, capturing logger.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { configureLogger } from "../../../src/log/logger.js";
import type { FillContext } from "../../../src/config/defaults.js";
import { VERSION } from "../../../src/version.js";

export const HOST_HOME = "/home/alice";

export function testContext(overrides: Partial<FillContext> = {}): FillContext {
  return {
    hostArch: "x86_64",
    hostOS: "linux",
    cpus: 8,
    memoryBytes: 16 * 1024 ** 3,
    user: { name: "alice", uid: 1001, comment: "Alice Liddell", home: HOST_HOME },
    instanceVersion: VERSION,
    timezone: "Europe/Berlin",
    instDir: "/lima/inst",
    instName: "inst",
    limaHome: "/lima",
    tempDir: "/var/tmp",
    machineId: "0123456789abcdef",
    ...overrides,
  };
}

export function tempLimaHome(): string {
  return mkdtempSync(path.join(os.tmpdir(), "lima-config-test-"));
}

/** Captures log lines instead of printing them. */
export function captureLog(): string[] {
  const lines: string[] = [];
  configureLogger({ write: (line) => lines.push(line), isTTY: false, format: "text" });
  return lines;
}

export const IMAGE_YAML = "images:\n- location: https://example.com/img.qcow2\n  arch: x86_64\n";
