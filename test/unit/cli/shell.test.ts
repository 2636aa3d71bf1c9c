import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { remoteScript, workdirCommand } from "../../../src/cli/commands/shell.js";
import type { Instance } from "../../../src/store/instance.js";

const inst = (mounts: string[]): Instance => ({
  name: "x", hostname: "lima-x", status: "Running", dir: "/tmp/x", vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "",
  config: { mounts: mounts.map((location) => ({ location })) },
});

describe("shell script", () => {
  it("changes to --workdir or fails", () => {
    assert.equal(workdirCommand(inst([]), "/srv/my dir", "/x", "/home/u"), "cd '/srv/my dir' || exit 1");
  });
  it("follows the host directory when it is mounted", () => {
    assert.equal(workdirCommand(inst(["/home/u"]), undefined, "/home/u/src", "/home/u"), "cd /home/u/src || cd /home/u");
    assert.equal(workdirCommand(inst(["/home/u"]), undefined, "/opt", "/home/u"), "cd /home/u");
    assert.equal(workdirCommand(inst([]), undefined, "/opt", "/home/u"), "false");
  });
  it("quotes the command and passes leading assignments as environment", () => {
    assert.equal(remoteScript("false", "/bin/bash", [], []), "false ; exec /bin/bash -l");
    assert.equal(remoteScript("false", "/bin/bash", ["FOO=a b", "echo", "it's"], []), `false ; exec /bin/bash -l -c 'FOO='"'"'a b'"'"' echo '"'"'it'"'"'"'"'"'"'"'"'s'"'"''`);
    assert.equal(remoteScript("false", "/bin/sh", ["true"], ["A=1"]), "false ; exec env A=1 /bin/sh -l -c true");
  });
});
