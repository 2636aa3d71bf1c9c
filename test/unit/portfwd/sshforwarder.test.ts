// The SSH forwarder's command lines. It runs against the guest's real sshd in
// test/e2e/vm-portfwd.test.ts (LIMA_SSH_PORT_FORWARDER=true).
import assert from "node:assert/strict";
import { test } from "node:test";
import { forwardArgs, type SSHTarget } from "../../../src/portfwd/sshforwarder.js";

test("forwardArgs: Lima's -O forward/cancel command lines", () => {
  const target: SSHTarget = { sshArgs: ["-F", "/dev/null", "-o", "User=u"], address: "127.0.0.1", port: 60022 };
  assert.deepEqual(forwardArgs(target, "forward", "127.0.0.1:8080", "127.0.0.1:80", false), [
    "-F", "/dev/null", "-o", "User=u", "-T", "-O", "forward", "-L", "127.0.0.1:8080:127.0.0.1:80", "-N", "-f", "-p", "60022", "127.0.0.1", "--",
  ]);
  assert.deepEqual(forwardArgs(target, "cancel", "/h/sock", "/run/g.sock", true).slice(4, 9), ["-T", "-O", "cancel", "-R", "/run/g.sock:/h/sock"]);
});
