// The wire format of Lima's external driver protocol: the descriptor against driver.proto (and
// Lima's own file when its mirror is here), the JSON payloads, the instance JSON both ways.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import protobuf from "protobufjs";
import { DRIVER_SERVICE_DESCRIPTOR } from "../../../src/driver/external/descriptor.js";
import { REPO } from "../../helpers/limactl.js";

const home = mkdtempSync(path.join(os.tmpdir(), "lima-wire-"));
process.env.LIMA_HOME = home;
const { inspect } = await import("../../../src/store/store.js");
const { instanceFromJSON, instanceJSON } = await import("../../../src/store/format.js");
const wire = await import("../../../src/driver/external/wire.js");
const { driverNameOfProgram, parseServeArgs } = await import("../../../src/driver/sdk/server.js");
after(() => rmSync(home, { recursive: true, force: true }));

const PROTO = path.join(REPO, "src/driver/external/driver.proto");
const LIMA_MIRROR = "/work/.mirror/lima-vm+lima/repo";

describe("driver.proto", () => {
  it("descriptor.ts equals what protobufjs parses from driver.proto", () => {
    const root = new protobuf.Root();
    root.loadSync(PROTO, { keepCase: true });
    const { options, ...parsed } = root.toJSON() as { options?: unknown };
    assert.deepEqual(options, { go_package: "github.com/lima-vm/lima/v2/pkg/driver/external" });
    assert.deepEqual(JSON.parse(JSON.stringify(DRIVER_SERVICE_DESCRIPTOR)), parsed);
  });

  it("driver.proto says what Lima's pkg/driver/external/driver.proto says (comments aside)", { skip: !existsSync(LIMA_MIRROR) && "no Lima mirror here" }, () => {
    const strip = (text: string): string[] => text.split("\n").filter((l) => !/^\s*(\/\/.*)?$/.test(l));
    const lima = execFileSync("git", ["-C", LIMA_MIRROR, "show", "HEAD:pkg/driver/external/driver.proto"], { encoding: "utf8" });
    assert.deepEqual(strip(readFileSync(PROTO, "utf8")), strip(lima));
  });
});

describe("JSON payloads", () => {
  it("Info is encoded as Go encodes driver.Info: key order, omitempty", () => {
    const info = {
      name: "x",
      vsockPort: 2222,
      virtioPort: "",
      features: { staticSSHPort: true, dynamicSSHAddress: false, skipSocketForwarding: false, noCloudInit: true, rosettaEnabled: false, rosettaBinFmt: false },
    };
    assert.equal(
      wire.encodeDriverInfo(info).toString(),
      '{"name":"x","vsockPort":2222,"virtioPort":"","features":{"dynamicSSHAddress":false,"staticSSHPort":true,"skipSocketForwarding":false,"noCloudInit":true,"rosettaEnabled":false,"rosettaBinFmt":false}}',
    );
    assert.deepEqual(wire.decodeDriverInfo(wire.encodeDriverInfo(info)), info);
    const full = { ...info, instanceDir: "/i", features: { ...info.features, canRunGui: true, supportedImageFormats: ["raw", "qcow2"] } };
    assert.deepEqual(wire.decodeDriverInfo(wire.encodeDriverInfo(full)), full);
  });

  it("an instance survives JSON both ways, config included", async () => {
    mkdirSync(path.join(home, "a"));
    writeFileSync(
      path.join(home, "a", "lima.yaml"),
      `images: [{location: /etc/profile}]
mounts: [{location: "~"}, {location: /tmp/lima, writable: true, 9p: {cache: mmap}}]
portForwards: [{guestPort: 80, hostPort: 8080}, {guestSocket: /run/x.sock, hostSocket: x.sock}]
networks: [{lima: shared}]
additionalDisks: [{name: data, format: false}]
provision: [{mode: system, script: "echo {{.Param.P}}"}]
param: {P: "1"}
env: {A: b}
message: "hi {{.Name}}"
`,
    );
    const inst = await inspect("a");
    const json = instanceJSON(inst, false);
    const back = instanceFromJSON(JSON.parse(JSON.stringify(json)));
    assert.deepEqual(instanceJSON(back, false), json);
    // Empty objects (`virtiofs: {}`) do not survive, as in `limactl list --json`; values do.
    assert.deepEqual(back.config?.mounts?.map((m) => [m.location, m.writable, m["9p"]]), inst.config?.mounts?.map((m) => [m.location, m.writable, m["9p"]]));
    assert.deepEqual(back.config?.provision, inst.config?.provision);
    assert.equal(back.config?.memory, inst.config?.memory);
  });

  it("an instance JSON with a wrongly typed field is an error naming it", () => {
    assert.throws(() => instanceFromJSON({ name: "a", cpus: "two" }), /field "cpus" must be of type number, got string/);
    assert.throws(() => instanceFromJSON({ name: "a", config: { cpus: "two" } }), /config: field `cpus` must be an integer/);
  });

  it("--inspect-status payloads are Go's []byte JSON (a base64 string) and garbage is refused", async () => {
    const inst = instanceFromJSON({ name: "a", status: "Stopped", dir: "/d", vmType: "x", arch: "x86_64", protected: false, limaVersion: "2.2.0" });
    const payload = wire.encodeInspectPayload(inst);
    assert.match(payload, /^"[A-Za-z0-9+/]+=*"\n$/);
    assert.deepEqual(JSON.parse(Buffer.from(JSON.parse(payload), "base64").toString()), instanceJSON(inst, false));
    assert.deepEqual(wire.decodeInspectPayload(payload), inst);
    assert.throws(() => wire.decodeInspectPayload("hello\n"), /expected one JSON string \(base64 of the instance JSON\), got "hello\\n"/);
    assert.throws(() => wire.decodeInspectPayload(`${JSON.stringify(Buffer.from("[1]").toString("base64"))}\n`), /instance: expected a JSON object/);
  });
});

describe("SDK program arguments", () => {
  it("parses Go-style flags as Lima's server does", () => {
    assert.deepEqual(parseServeArgs(["--inst-dir", "/i"]), { inspectStatus: false, instDir: "/i" });
    assert.deepEqual(parseServeArgs(["-inst-dir=/i", "-inspect-status"]), { inspectStatus: true, instDir: "/i" });
    assert.throws(() => parseServeArgs(["--bogus"]), /flag provided but not defined: -bogus/);
  });

  it("takes the driver name from the program name, extension stripped", () => {
    assert.equal(driverNameOfProgram("/usr/libexec/lima/lima-driver-qemu"), "qemu");
    assert.equal(driverNameOfProgram("/x/lima-driver-vz.exe"), "vz");
    assert.equal(driverNameOfProgram("/x/dist/drivers/lima-driver-my-vm.mjs"), "my-vm");
    assert.equal(driverNameOfProgram("/x/main.mjs"), undefined);
    assert.equal(driverNameOfProgram("/x/lima-driver-"), undefined);
  });
});
