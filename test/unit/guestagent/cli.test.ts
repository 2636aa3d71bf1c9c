// Flags, durations and the systemd unit of lima-guestagent.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { guestAgentBinaryPath } from "../../../src/guestagent/binary.js";
import { parseGoDuration } from "../../../src/guestagent/duration.js";
import { parseFlags } from "../../../src/guestagent/flags.js";
import { installSystemd, systemctlCalls, systemdUnit } from "../../../src/guestagent/systemd.js";

describe("parseGoDuration", () => {
  for (const [text, ms] of [["3s", 3000], ["250ms", 250], ["1m30s", 90_000], ["1.5h", 5_400_000], ["0", 0], ["500us", 0.5], ["-2s", -2000], ["1µs", 0.001]] as const) {
    it(`${text} = ${ms} ms`, () => assert.equal(parseGoDuration(text), ms));
  }
  it("rejects what Go rejects, with Go's messages", () => {
    assert.throws(() => parseGoDuration("3"), /time: missing unit in duration "3"/);
    assert.throws(() => parseGoDuration("3x"), /time: unknown unit "x" in duration "3x"/);
    assert.throws(() => parseGoDuration(""), /time: invalid duration ""/);
    assert.throws(() => parseGoDuration("s"), /time: invalid duration "s"/);
  });
});

describe("parseFlags", () => {
  const specs = { debug: { kind: "bool", default: false }, "vsock-port": { kind: "int", default: 0 }, "virtio-port": { kind: "string", default: "" } } as const;
  it("reads --name value, --name=value and Go booleans", () => {
    assert.deepEqual(parseFlags(["--debug=false", "--vsock-port", "2222", "--virtio-port="], specs).values, { debug: false, "vsock-port": 2222, "virtio-port": "" });
    assert.equal(parseFlags(["--debug"], specs).values.debug, true);
    assert.equal(parseFlags(["--debug=True"], specs).values.debug, true);
  });
  it("fails like cobra on unknown flags and bad values", () => {
    assert.throws(() => parseFlags(["--nope"], specs), /unknown flag: --nope/);
    assert.throws(() => parseFlags(["--vsock-port", "x"], specs), /invalid argument "x" for "--vsock-port" flag/);
    assert.throws(() => parseFlags(["--debug=maybe"], specs), /strconv.ParseBool/);
    assert.throws(() => parseFlags(["--vsock-port"], specs), /flag needs an argument: --vsock-port/);
  });
});

describe("systemd unit", () => {
  const flags = { vsockPort: 0, virtioPort: "", socketOwner: 0, debug: false };
  it("is Lima's unit, byte for byte", () => {
    assert.equal(
      systemdUnit("/usr/local/bin/lima-guestagent", { ...flags, socketOwner: 501, debug: true }),
      `[Unit]
Description=lima-guestagent

[Service]
ExecStart=/usr/local/bin/lima-guestagent daemon --socket-owner 501 --debug --runtime-dir="%t/%N"
Type=simple
Restart=on-failure
OOMPolicy=continue
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
`,
    );
    assert.match(systemdUnit("/a", flags), /^ExecStart=\/a daemon  --runtime-dir="%t\/%N"$/m);
    assert.match(systemdUnit("/a", { ...flags, vsockPort: 2222, virtioPort: "io.lima-vm.guest_agent.0" }), /daemon --vsock-port 2222 --virtio-port io.lima-vm.guest_agent.0 --runtime/);
  });
  it("runs systemctl as Lima: reload only for a new unit, nothing when neither unit nor agent changed", () => {
    const svc = "lima-guestagent.service";
    assert.deepEqual(systemctlCalls(true, false), [["--system", "daemon-reload"], ["--system", "enable", svc], ["--system", "try-restart", svc], ["--system", "start", svc]]);
    assert.deepEqual(systemctlCalls(false, true), [["--system", "enable", svc], ["--system", "try-restart", svc], ["--system", "start", svc]]);
    assert.deepEqual(systemctlCalls(false, false), []);
  });
});

describe("installSystemd", () => {
  it("writes the unit (0644) only when it changed and restarts only when something changed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ga-unit-"));
    const unitPath = path.join(dir, "system", "lima-guestagent.service");
    const flags = { vsockPort: 0, virtioPort: "", socketOwner: 1000, debug: false };
    const calls: string[][] = [];
    installSystemd("/usr/local/bin/lima-guestagent", flags, false, unitPath, (args) => calls.push(args));
    assert.equal(readFileSync(unitPath, "utf8"), systemdUnit("/usr/local/bin/lima-guestagent", flags));
    assert.equal(statSync(unitPath).mode & 0o777, 0o644);
    assert.equal(calls[0]?.join(" "), "--system daemon-reload");
    calls.length = 0;
    installSystemd("/usr/local/bin/lima-guestagent", flags, false, unitPath, (args) => calls.push(args));
    assert.equal(calls.length, 0);
    installSystemd("/usr/local/bin/lima-guestagent", flags, true, unitPath, (args) => calls.push(args));
    assert.equal(calls.map((c) => c[1]).join(","), "enable,try-restart,start");
    rmSync(dir, { recursive: true });
  });
});

describe("guestAgentBinaryPath", () => {
  it("finds the plain file first, else the .gz", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ga-share-"));
    assert.equal(guestAgentBinaryPath("aarch64", dir), undefined);
    writeFileSync(path.join(dir, "lima-guestagent.Linux-aarch64.gz"), "");
    assert.equal(guestAgentBinaryPath("aarch64", dir), path.join(dir, "lima-guestagent.Linux-aarch64.gz"));
    writeFileSync(path.join(dir, "lima-guestagent.Linux-aarch64"), "");
    assert.equal(guestAgentBinaryPath("aarch64", dir), path.join(dir, "lima-guestagent.Linux-aarch64"));
    rmSync(dir, { recursive: true });
  });
});
