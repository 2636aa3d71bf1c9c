// The wire as a client that is not ours sees it: Python gRPC (Debian's python3-grpcio and
// grpc_tools) compiles driver.proto and calls Info, Validate and Start on a live driver socket
// served by our SDK.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { after, it } from "node:test";
import { REPO } from "../../helpers/limactl.js";
import { FIXTURE_DRIVER, tsDriverProgram } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const home = mkdtempSync(path.join(os.tmpdir(), "lima-drvpy-"));
process.env.LIMA_HOME = home;
const { inspect } = await import("../../../src/store/store.js");
const { ExternalDriver } = await import("../../../src/driver/external/client.js");
const { stopDriverServers, driverSocketPath } = await import("../../../src/driver/external/process.js");
after(async () => {
  await stopDriverServers(path.join(home, "py"), { force: true });
  rmSync(home, { recursive: true, force: true });
});

it("a Python gRPC client gets Info, Validate and the Start stream from an SDK driver", { skip: !existsSync(PYTHON) && "no /usr/bin/python3" }, async () => {
  const fixture = await tsDriverProgram(path.join(home, "_programs"), "fixture", FIXTURE_DRIVER);
  const dir = path.join(home, "py");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "lima.yaml"), "vmType: fixture\nimages: [{location: /etc/profile}]\n");
  writeFileSync(path.join(dir, "fixture-start"), "errors");
  // Our client starts the server and configures it; Python then talks to the same socket.
  const driver = new ExternalDriver("fixture", fixture);
  await driver.configure(await inspect("py"));
  driver.close();

  const protoDir = path.join(home, "proto");
  const outDir = path.join(home, "gen");
  mkdirSync(protoDir);
  mkdirSync(outDir);
  copyFileSync(path.join(REPO, "src/driver/external/driver.proto"), path.join(protoDir, "driver.proto"));
  const script = path.join(REPO, "test/unit/driver/fixtures/driver_client.py");
  const { stdout } = await promisify(execFile)(PYTHON, [script, protoDir, outDir, driverSocketPath(dir, "fixture")], { timeout: 60_000 });
  const result = JSON.parse(stdout) as { info_json: string; start: unknown[]; list_snapshots: unknown };
  assert.equal(
    result.info_json,
    `{"name":"fixture","vsockPort":0,"virtioPort":"","instanceDir":${JSON.stringify(dir)},"features":{"dynamicSSHAddress":true,"staticSSHPort":false,"skipSocketForwarding":false,"noCloudInit":false,"rosettaEnabled":false,"rosettaBinFmt":false,"supportedImageFormats":["raw"]}}`,
  );
  assert.deepEqual(result.start, [
    { success: true, error: "" },
    { success: false, error: "fixture: runtime error" },
    { success: true, error: "" },
  ]);
  assert.deepEqual(result.list_snapshots, { code: "UNKNOWN", details: "unimplemented: ListSnapshots" });
});
