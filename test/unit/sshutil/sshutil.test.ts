import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { remoteInterpreter } from "../../../src/sshutil/exec.js";
import { disableControlMaster, shellQuote, sshArgs, sshConfigText } from "../../../src/sshutil/sshutil.js";

describe("ssh options", () => {
  it("renders ssh.config as Lima does", () => {
    const text = sshConfigText("foo", ['IdentityFile="/h/_config/user"', "User=lima", 'ControlPath="/h/foo/ssh.sock"'], 60022);
    assert.equal(
      text,
      "# This SSH config file can be passed to 'ssh -F'.\n# This file is created by Lima, but not used by Lima itself currently.\n# Modifications to this file will be lost on restarting the Lima instance.\nHost lima-foo\n  IdentityFile \"/h/_config/user\"\n  User lima\n  ControlPath \"/h/foo/ssh.sock\"\n  Hostname 127.0.0.1\n  Port 60022\n",
    );
    assert.throws(() => sshConfigText("foo", ["User=a\nb"], 1), /line break/);
  });
  it("turns options into arguments and can drop the ControlMaster", () => {
    assert.deepEqual(sshArgs(['IdentityFile="/k"', "User=u"]), ["-F", "/dev/null", "-o", "IdentityFile=/k", "-o", "User=u"]);
    assert.deepEqual(disableControlMaster(["User=u", "ControlMaster=auto", "ControlPath=/s", "ControlPersist=yes"]), ["User=u", "ControlMaster=no", "ControlPath=none", "ControlPersist=no"]);
  });
  it("quotes shell words", () => {
    assert.equal(shellQuote("abc"), "abc");
    assert.equal(shellQuote(""), "''");
    assert.equal(shellQuote("a'b c"), `'a'"'"'b c'`);
  });
  it("runs a script's interpreter after exporting param.env", () => {
    const cmd = remoteInterpreter("#!/bin/bash -eu\necho hi\n");
    assert.match(cmd, /^\/bin\/sh -c '/);
    assert.match(cmd, /exec \/bin\/bash -eu'$/);
    assert.throws(() => remoteInterpreter("echo hi"), /'#!' line/);
  });
});
