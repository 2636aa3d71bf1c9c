// The built external QEMU driver: libexec/lima/lima-driver-qemu starts the bundle, takes its name
// from the launcher, serves Info on `$INST/qemu.drv.sock`, and goes away on SIGTERM.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { decodeDriverInfo } from "../../src/driver/external/wire.js";
import { driverSocketPath, ensureDriverServer, stopDriverServers } from "../../src/driver/external/process.js";
import { driverClient, type InfoResponse } from "../../src/driver/external/service.js";
import { REPO } from "../helpers/limactl.js";

const PROGRAM = path.join(REPO, "libexec/lima/lima-driver-qemu");
const dir = mkdtempSync(path.join(os.tmpdir(), "lima-qemu-ext-"));
after(async () => {
  await stopDriverServers(dir, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

it("lima-driver-qemu serves Info as the driver `qemu` and stops on SIGTERM", async () => {
  assert.ok((statSync(PROGRAM).mode & 0o111) !== 0, `${PROGRAM} must be executable`);
  const socket = await ensureDriverServer(PROGRAM, "qemu", dir);
  assert.equal(socket, driverSocketPath(dir, "qemu"));
  const client = driverClient(socket) as unknown as { Info(req: object, cb: (err: Error | null, res: InfoResponse) => void): void; close(): void };
  const response = await new Promise<InfoResponse>((resolve, reject) => client.Info({}, (err, res) => (err ? reject(err) : resolve(res))));
  client.close();
  const info = decodeDriverInfo(response.info_json);
  assert.equal(info.name, "qemu");
  assert.ok(info.features.supportedImageFormats?.includes("qcow2"));
  await stopDriverServers(dir);
  assert.equal(existsSync(socket), false);
  assert.equal(existsSync(path.join(dir, "qemu.drv.pid")), false);
});
