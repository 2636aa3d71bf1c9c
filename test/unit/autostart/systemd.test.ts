import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { isRunningSystemd, renderUnit, unitName, unitPath } from "../../../src/autostart/systemd.js";

describe("systemd autostart unit", () => {
  it("renders Lima's template with the command that runs limactl", () => {
    // Lima's own test (pkg/autostart/autostart_test.go) expects exactly this for binary /limactl.
    assert.equal(
      renderUnit(["/limactl"]),
      `[Unit]
Description=Lima - Linux virtual machines, with a focus on running containers.
Documentation=man:lima(1)

[Service]
ExecStart=/limactl start %i --foreground
WorkingDirectory=%h
Type=simple
TimeoutSec=10
Restart=on-failure

[Install]
WantedBy=default.target
`,
    );
  });

  it("quotes ExecStart words that systemd would split or unescape", () => {
    const unit = renderUnit(["/usr/bin/node", '/opt/my lima/bin/"limactl"\\x']);
    assert.match(unit, /^ExecStart=\/usr\/bin\/node "\/opt\/my lima\/bin\/\\"limactl\\"\\\\x" start %i --foreground$/m);
  });

  it("names the unit lima-vm@INSTANCE.service in $XDG_CONFIG_HOME/systemd/user, else ~/.config", () => {
    assert.equal(unitName("docker"), "lima-vm@docker.service");
    assert.equal(unitPath("docker", { XDG_CONFIG_HOME: "/x/cfg", HOME: "/home/u" }), "/x/cfg/systemd/user/lima-vm@docker.service");
    assert.equal(unitPath("docker", { HOME: "/home/u" }), "/home/u/.config/systemd/user/lima-vm@docker.service");
    assert.equal(unitPath("docker", { XDG_CONFIG_HOME: "", HOME: "/home/u" }), "/home/u/.config/systemd/user/lima-vm@docker.service");
  });

  it("takes systemd as running when its /run/systemd/system marker exists", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lima-systemd-"));
    try {
      assert.equal(isRunningSystemd(dir), true);
      assert.equal(isRunningSystemd(path.join(dir, "absent")), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
