import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tunnelInstructions, tunnelSSHArgs } from "../../../src/cli/commands/tunnel.js";
import type { Instance } from "../../../src/store/instance.js";

describe("limactl tunnel", () => {
  it("prints Lima's Linux instructions", () => {
    assert.equal(
      tunnelInstructions(41234, "lima-dev"),
      "Set `ALL_PROXY=socks5h://127.0.0.1:41234`, etc.\nThe instance can be connected from the host as <http://lima-dev.internal> via a web browser.\n",
    );
  });

  it("runs ssh in the background as a SOCKS proxy on 127.0.0.1, with the instance's options and SSH port", () => {
    const inst = { name: "dev", dir: "/lima/dev", sshLocalPort: 60022, config: { user: { name: "me" } } } as Instance;
    const args = tunnelSSHArgs(inst, 41234);
    assert.deepEqual(args.slice(0, 2), ["-F", "/dev/null"]);
    assert.ok(args.includes("User=me"), args.join(" "));
    assert.ok(args.includes("ControlPath=/lima/dev/ssh.sock"), args.join(" "));
    assert.deepEqual(args.slice(-8), ["-q", "-f", "-N", "-D", "127.0.0.1:41234", "-p", "60022", "127.0.0.1"]);
  });
});
