import assert from "node:assert/strict";
import { describe, it } from "node:test";
import YAML from "yaml";
import { inventoryYAML } from "../../../src/instance/ansible.js";

describe("ansible inventory", () => {
  it("reaches the guest through ssh.config", () => {
    const inv = YAML.parse(inventoryYAML({ name: "foo", hostname: "lima-foo", status: "Running", dir: "/h/foo", vmType: "qemu", arch: "x86_64", protected: false, limaVersion: "" }));
    assert.deepEqual(inv, { lima: { hosts: { foo: { ansible_connection: "ssh", ansible_host: "lima-foo", ansible_ssh_common_args: "-F /h/foo/ssh.config" } } } });
  });
});
