import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { controlMasterListening, controlSocketPath, removeStaleControlMaster } from "../../../src/sshutil/controlmaster.js";

describe("control master socket", () => {
  it("keeps a live master's socket and removes one whose process was killed", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lima-cm-"));
    try {
      const sock = controlSocketPath(dir);
      const server = net.createServer().listen(sock);
      await new Promise((r) => server.once("listening", r));
      assert.equal(await controlMasterListening(dir), true);
      assert.equal(await removeStaleControlMaster(dir), false);
      assert.ok(existsSync(sock));
      await new Promise((r) => server.close(r));

      // A listener killed with SIGKILL leaves its socket file behind, as a killed ssh master does.
      const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(sock)}, () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise((r) => child.stdout.once("data", r));
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      assert.ok(existsSync(sock));
      assert.equal(await controlMasterListening(dir), false);
      assert.equal(await removeStaleControlMaster(dir), true);
      assert.ok(!existsSync(sock));
      assert.equal(await removeStaleControlMaster(dir), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
