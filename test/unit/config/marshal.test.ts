import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { fillDefault } from "../../../src/config/defaults.js";
import { marshalConfig, toJSONObject } from "../../../src/config/marshal.js";
import { LIMA_YAML_KEY_ORDER, type LimaYAML } from "../../../src/config/types.js";
import { testContext } from "./helpers.js";

function filled(y: LimaYAML): LimaYAML {
  fillDefault(y, {}, {}, "/lima/inst/lima.yaml", testContext(), { onWarning: () => {} });
  return y;
}

describe("marshalConfig", () => {
  it("writes sequences unindented, 2-space maps and omits unset values", () => {
    const text = marshalConfig({ images: [{ location: "/a.img", arch: "x86_64", kernel: { location: "/k", arch: "x86_64" } }], cpus: 2, ssh: { localPort: 0 } });
    assert.equal(text, "images:\n- location: /a.img\n  arch: x86_64\n  kernel:\n    location: /k\n    arch: x86_64\ncpus: 2\nssh:\n  localPort: 0\n");
  });
  it("orders keys by struct order regardless of input order", () => {
    const text = marshalConfig({ user: { uid: 1, name: "u" }, cpus: 1, arch: "x86_64", vmType: "qemu" } as LimaYAML);
    assert.equal(text, "vmType: qemu\narch: x86_64\ncpus: 1\nuser:\n  name: u\n  uid: 1\n");
  });
  it("keeps set pointer fields even when false, drops zero value-type fields", () => {
    const text = marshalConfig({ mounts: [{ location: "~", writable: false }], portForwards: [{ guestPort: 0, reverse: false, static: false, guestIPMustBeZero: false }], message: "" });
    assert.equal(text, 'mounts:\n- location: "~"\n  writable: false\nportForwards:\n- guestIPMustBeZero: false\n');
  });
  it("quotes values YAML would misread", () => {
    assert.match(marshalConfig({ mounts: [{ location: "null" }] }), /location: "null"/);
  });
  it("writes multi-line scripts as block scalars", () => {
    assert.match(marshalConfig({ provision: [{ mode: "system", script: "#!/bin/sh\necho hi\n" }] }), /script: \|\n {4}#!\/bin\/sh\n {4}echo hi\n/);
  });
  it("round-trips a filled config in LIMA_YAML_KEY_ORDER", () => {
    const y = filled({ images: [{ location: "/a.img" }], env: { B: "2", A: "1" }, networks: [{ lima: "user-v2" }] });
    const text = marshalConfig(y);
    const reparsed = parse(text) as Record<string, unknown>;
    const keys = Object.keys(reparsed);
    assert.deepEqual(keys, LIMA_YAML_KEY_ORDER.filter((k) => keys.includes(k)));
    assert.equal(reparsed.memory, "4GiB");
    assert.deepEqual(reparsed.env, { B: "2", A: "1" });
    assert.equal(text.includes("rosetta"), false);
  });
});

describe("toJSONObject", () => {
  it("keeps value structs (as Go's encoding/json does) and orders keys", () => {
    const json = toJSONObject(filled({ images: [{ location: "/a.img" }], mounts: [{ location: "/srv" }] }));
    assert.deepEqual(json.rosetta, {});
    assert.deepEqual((json.video as Record<string, unknown>).vnc, {});
    const keys = Object.keys(json);
    assert.deepEqual(keys, LIMA_YAML_KEY_ORDER.filter((k) => keys.includes(k)));
    assert.deepEqual((json.mounts as Record<string, unknown>[])[0]?.virtiofs, {});
  });
  it("omits empty lists and maps and unset pointers", () => {
    const json = toJSONObject(filled({ images: [{ location: "/a.img" }] }));
    assert.equal("mounts" in json, false);
    assert.equal("env" in json, false);
    assert.equal("mountType" in json, false);
    assert.equal("dns" in json, false);
  });
  it("emits fixed-size port ranges even when unset", () => {
    const json = toJSONObject({ portForwards: [{ guestSocket: "/g", hostSocket: "/h" }] });
    assert.deepEqual(json.portForwards, [{ guestPortRange: [0, 0], guestSocket: "/g", hostPortRange: [0, 0], hostSocket: "/h" }]);
  });
});
