import assert from "node:assert/strict";
import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { listTemplates, readTemplate, templateFileName, templateSearchPath } from "../../../src/templates/store.js";
import { shareDir } from "../../../src/util/pkgroot.js";
import { scratch, withEnv } from "./helpers.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("template store", () => {
  it("uses LIMA_TEMPLATES_PATH split on ':' when set", async () => {
    await withEnv({ LIMA_TEMPLATES_PATH: "/a:/b::/c" }, () => {
      assert.deepEqual(templateSearchPath(), ["/a", "/b", "", "/c"]);
    });
  });

  it("defaults to $LIMA_HOME/_templates and the shipped templates", async () => {
    const home = scratch();
    await withEnv({ LIMA_TEMPLATES_PATH: "", LIMA_HOME: home }, () => {
      assert.deepEqual(templateSearchPath(), [path.join(home, "_templates"), path.join(shareDir(), "templates")]);
    });
  });

  it("appends .yaml unless the name has a non-numeric extension", () => {
    assert.equal(templateFileName("docker"), "docker.yaml");
    assert.equal(templateFileName("ubuntu-24.04"), "ubuntu-24.04.yaml");
    assert.equal(templateFileName("_images/alpine-3.23"), "_images/alpine-3.23.yaml");
    assert.equal(templateFileName("docker.sh"), "docker.sh");
    assert.equal(templateFileName("x.yaml"), "x.yaml");
    assert.equal(templateFileName("trailing."), "trailing..yaml");
  });

  it("rejects names containing ..", () => {
    assert.throws(() => readTemplate("../etc/passwd"), { message: "template name `../etc/passwd` must not contain `..`" });
  });

  it("reads the first existing file along the path", async () => {
    const first = scratch({ "a.yaml": "first: 1\n" });
    const second = scratch({ "a.yaml": "second: 2\n", "b.yaml": "b: 2\n", "s/run.sh": "#!/bin/sh\n" });
    await withEnv({ LIMA_TEMPLATES_PATH: `${first}:${second}` }, () => {
      assert.equal(text(readTemplate("a")), "first: 1\n");
      assert.equal(text(readTemplate("b")), "b: 2\n");
      assert.equal(text(readTemplate("s/run.sh")), "#!/bin/sh\n");
    });
  });

  it("reports a missing template with the .yaml name", async () => {
    await withEnv({ LIMA_TEMPLATES_PATH: scratch() }, () => {
      assert.throws(() => readTemplate("nope"), { message: "template `nope.yaml` not found" });
    });
  });

  it("lists non-hidden yaml files, first per name, sorted, without following symlinked dirs", async () => {
    const first = scratch({ "z.yaml": "", "_images/ubuntu.yaml": "", ".hidden.yaml": "", "notes.txt": "" });
    const second = scratch({ "z.yaml": "", "a.yaml": "", "experimental/vnc.yaml": "" });
    const elsewhere = scratch({ "linked.yaml": "" });
    symlinkSync(elsewhere, path.join(second, "linkdir"));
    mkdirSync(path.join(second, "empty"));
    await withEnv({ LIMA_TEMPLATES_PATH: `${first}:${second}:/does/not/exist` }, () => {
      const list = listTemplates();
      assert.deepEqual(list.map((t) => t.name), ["_images/ubuntu", "a", "experimental/vnc", "z"]);
      assert.equal(list.find((t) => t.name === "z")?.location, path.join(first, "z.yaml"));
    });
  });

  it("lists the shipped templates including hidden-by-convention bases", async () => {
    await withEnv({ LIMA_TEMPLATES_PATH: undefined, LIMA_HOME: scratch() }, () => {
      const names = listTemplates().map((t) => t.name);
      for (const n of ["default", "docker", "k8s", "_images/ubuntu", "_default/mounts"]) assert.ok(names.includes(n), n);
    });
  });
});
