// External drivers through `limactl`: a `lima-driver-hello` (the SDK example) on LIMA_DRIVERS_PATH
// is listed by `info` and `--list-drivers`, instances are created and listed with it (its server
// runs only while a command needs it), the internal QEMU driver can be switched off in favour of
// libexec/lima/lima-driver-qemu, and unknown names are refused with the known ones.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EXTERNAL_QEMU_ENV, LimaHome, REPO } from "../helpers/limactl.js";
import { HELLO_DRIVER, tsDriverProgram } from "../unit/driver/helpers.js";

const drivers = mkdtempSync(path.join(os.tmpdir(), "lima-drivers-"));
let home: LimaHome;
let hello = "";
const IMAGE_ONLY = "{images: [{location: /etc/profile}]}\n";

describe("external drivers through limactl", { timeout: 120_000 }, () => {
  before(async () => {
    hello = await tsDriverProgram(drivers, "hello", HELLO_DRIVER);
    home = new LimaHome({ LIMA_DRIVERS_PATH: drivers });
  });
  after(() => {
    home.cleanup();
    rmSync(drivers, { recursive: true, force: true });
  });

  it("info lists the program found on LIMA_DRIVERS_PATH next to the internal QEMU driver", async () => {
    const res = await home.limactl(["info", "--yq", ".vmTypesEx"]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), { qemu: { location: "internal" }, hello: { location: hello } });
    const types = await home.limactl(["info", "--yq", ".vmTypes | join(\",\")"]);
    assert.equal(types.stdout.trim(), "qemu,hello");
  });

  it("create and start --list-drivers print both", async () => {
    for (const command of ["create", "start"]) {
      const res = await home.limactl([command, "--list-drivers"]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(res.stdout.trim().split("\n").sort(), ["hello", "qemu"]);
    }
  });

  it("create --vm-type=hello configures the instance through the program, which does not outlive the command", async () => {
    const res = await home.limactl(["create", "--name", "h", "--vm-type=hello", "-"], { input: IMAGE_ONLY });
    assert.equal(res.code, 0, res.stderr);
    const dir = path.join(home.dir, "h");
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes(".drv.")), []);
    const list = await home.limactl(["list", "--json", "h"]);
    assert.equal(list.code, 0, list.stderr);
    const inst = JSON.parse(list.stdout) as { vmType: string; status: string };
    assert.equal(inst.vmType, "hello");
    // The status comes from `lima-driver-hello --inspect-status` ("" → the PID files).
    assert.equal(inst.status, "Stopped");
    const del = await home.limactl(["delete", "h"]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(existsSync(dir), false);
  });

  it("an unknown vmType is refused, naming the drivers there are", async () => {
    const res = await home.limactl(["create", "--name", "x", "--vm-type=nope", "-"], { input: IMAGE_ONLY });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /vmType `nope` is not a registered driver/);
  });

  it(`${Object.keys(EXTERNAL_QEMU_ENV)[0]}=qemu switches the internal driver off for libexec/lima/lima-driver-qemu`, async () => {
    const external = new LimaHome(EXTERNAL_QEMU_ENV);
    try {
      const res = await external.limactl(["info", "--yq", ".vmTypesEx.qemu.location"]);
      assert.equal(res.stdout.trim(), path.join(REPO, "libexec", "lima", "lima-driver-qemu"));
    } finally {
      external.cleanup();
    }
  });
});
