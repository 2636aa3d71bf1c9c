import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { inventoryYAML, runAnsiblePlaybooks } from "../../../src/instance/ansible.js";
import { configureLogger } from "../../../src/log/logger.js";

describe("ansible inventory", () => {
  it("reaches the guest through ssh.config", () => {
    const inv = YAML.parse(inventoryYAML({ name: "foo", hostname: "lima-foo", status: "Running", dir: "/h/foo", vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "" }));
    assert.deepEqual(inv, { lima: { hosts: { foo: { ansible_connection: "ssh", ansible_host: "lima-foo", ansible_ssh_common_args: "-F /h/foo/ssh.config" } } } });
  });
});

describe("ansible provisioning without ansible-playbook on the host", () => {
  it("fails with Lima's exec error and says what to do", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ansible-"));
    const inst = { name: "foo", hostname: "lima-foo", status: "Running" as const, dir, vmType: "qemu" as const, arch: "x86_64" as const, protected: false, limaVersion: "", config: { provision: [{ mode: "ansible" as const, playbook: "/p/site.yml" }] } };
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    configureLogger({ write: () => undefined, level: "info", format: "text", isTTY: false });
    try {
      await assert.rejects(runAnsiblePlaybooks(inst), (err: Error) => {
        assert.match(err.message, /^exec: "ansible-playbook": executable file not found in \$PATH \(/);
        assert.ok(err.message.includes(`run \`ansible-playbook -i ${path.join(dir, "ansible-inventory.yaml")} /p/site.yml\` yourself`), err.message);
        return true;
      });
    } finally {
      process.env.PATH = savedPath;
    }
    assert.ok(existsSync(path.join(dir, "ansible-inventory.yaml")));
  });
});
