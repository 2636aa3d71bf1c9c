// The host agent's REST API on a real unix socket with its real client: /v1/screenshot carries
// the driver's image byte for byte, and Lima's status codes become Lima's error texts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { NoDisplayError, type ScreenshotFormat } from "../../../src/driver/driver.js";
import { type APIBackend, serveAPI } from "../../../src/hostagent/api.js";
import { getHostAgentInfo, getScreenshot, httpGet } from "../../../src/store/hostagentclient.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "lima-haapi-"));
let count = 0;

async function withAPI(backend: Partial<APIBackend>, use: (socket: string) => Promise<void>): Promise<void> {
  const socket = path.join(dir, `ha${count++}.sock`);
  const server: http.Server = await serveAPI(socket, { info: () => ({ sshLocalPort: 2222 }), driverName: "qemu", ...backend });
  try {
    await use(socket);
  } finally {
    server.close();
  }
}

/** Every byte value, so that any text decoding on the way would show. */
const IMAGE = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

describe("host agent API", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("serves the driver's screenshot in the asked format, unchanged", async () => {
    const asked: ScreenshotFormat[] = [];
    await withAPI({ screenshot: async (format) => (asked.push(format), IMAGE) }, async (socket) => {
      assert.deepEqual(await getScreenshot(socket, "png"), IMAGE);
      assert.deepEqual(await getScreenshot(socket, "bmp"), IMAGE);
      assert.deepEqual(await getHostAgentInfo(socket), { sshLocalPort: 2222 });
    });
    assert.deepEqual(asked, ["png", "bmp"]);
  });

  it("answers Lima's errors: no support (501), no display (422), a failure (500), a bad format (400)", async () => {
    await withAPI({ driverName: "hello" }, async (socket) => {
      await assert.rejects(getScreenshot(socket, "png"), { message: 'driver "hello": driver does not support screenshots' });
    });
    await withAPI({ screenshot: () => Promise.reject(new NoDisplayError()) }, async (socket) => {
      await assert.rejects(getScreenshot(socket, "png"), { message: 'VM has no display configured — set video.display (e.g., "default") in the instance config' });
    });
    await withAPI({ screenshot: () => Promise.reject(new Error("QMP connection closed")) }, async (socket) => {
      await assert.rejects(getScreenshot(socket, "png"), { message: "QMP connection closed" });
      const bad = await httpGet(socket, "/v1/screenshot?format=jpeg", 5000);
      assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { message: 'unsupported format "jpeg": must be png or bmp' }]);
    });
  });
});
