import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { QMPError, humanMonitorCommand, qmpExecute } from "../../../../src/driver/qemu/qmp.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "qmp-"));
const sock = path.join(dir, "qmp.sock");
let qemu: ChildProcess;
let exited: Promise<number | null>;

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
}

before(async () => {
  qemu = spawn("qemu-system-x86_64", ["-M", "none", "-accel", "tcg", "-display", "none", "-nodefaults", "-qmp", `unix:${sock},server=on,wait=off`], { stdio: "ignore" });
  exited = new Promise((resolve) => qemu.once("exit", (code) => resolve(code)));
  await waitFor(sock);
});

after(() => {
  if (qemu.exitCode === null) qemu.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("QMP client against a real QEMU", () => {
  it("runs query-status", async () => {
    const status = (await qmpExecute(sock, "query-status")) as { status: string; running: boolean };
    assert.equal(typeof status.running, "boolean");
    assert.equal(typeof status.status, "string");
  });

  it("passes arguments and returns HMP text", async () => {
    const out = await humanMonitorCommand(sock, "info version");
    assert.match(out, /^\d+\.\d+\.\d+/);
  });

  it("reports QMP errors with their class", async () => {
    await assert.rejects(qmpExecute(sock, "no-such-command"), (err: unknown) => {
      assert.ok(err instanceof QMPError);
      assert.equal(err.errorClass, "CommandNotFound");
      return true;
    });
  });

  it("fails quickly on a missing socket", async () => {
    await assert.rejects(qmpExecute(path.join(dir, "missing.sock"), "query-status", undefined, { connectTimeoutMs: 500 }), /dial unix .*missing\.sock/);
  });

  it("sends system_powerdown and quit; QEMU exits", async () => {
    assert.deepEqual(await qmpExecute(sock, "system_powerdown"), {});
    await qmpExecute(sock, "quit");
    assert.equal(await exited, 0);
  });
});
