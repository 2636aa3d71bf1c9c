import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { absLocator, locatorDir } from "../../../src/templates/abs.js";
import { embed, templateCopy } from "../../../src/templates/embed.js";
import { readLocator } from "../../../src/templates/locator.js";
import { binaryString, encodeScriptReason } from "../../../src/templates/scripts.js";
import { scratch, withEnv } from "./helpers.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Embeds `template` (with `base: base0.yaml` prepended unless it has none) against bases base0.yaml, base1.yaml, ... */
async function embedCase(template: string, bases: string[], options = { embedAll: false, defaultBase: false }): Promise<string> {
  const files: Record<string, string> = { "tmpl.yaml": template };
  bases.forEach((b, i) => {
    files[`base${i}${b.startsWith("#!") ? ".sh" : ".yaml"}`] = b;
  });
  const dir = scratch(files);
  const tmpl = await readLocator(path.join(dir, "tmpl.yaml"));
  return text((await embed(tmpl, options)).bytes);
}

const data = (yamlText: string) => parse(yamlText) as unknown;

describe("embedding: document merge", () => {
  it("copies fields from the base when the template lacks them", async () => {
    assert.deepEqual(data(await embedCase("base: base0.yaml\n", ["vmType: qemu\n"])), { vmType: "qemu" });
  });

  it("keeps the template's values, including explicit null", async () => {
    const out = await embedCase("base: base0.yaml\nvmType: vz\ncpus: null\n", ["{arch: aarch64, vmType: qemu, cpus: 4}"]);
    assert.deepEqual(data(out), { vmType: "vz", cpus: null, arch: "aarch64" });
  });

  it("copies comments of fields taken from the base", async () => {
    const out = await embedCase("base: base0.yaml\n# VM Type is QEMU\nvmType: qemu # QEMU\n", ["# Arch is x86_64\narch: x86_64 # X86\n"]);
    assert.equal(out, "# VM Type is QEMU\nvmType: qemu  # QEMU\n# Arch is x86_64\narch: x86_64  # X86\n");
  });

  it("merges maps recursively", async () => {
    const out = await embedCase("base: base0.yaml\nssh:\n  localPort: 2222\n", ["ssh:\n  # agent\n  forwardAgent: true\n  localPort: 1\n"]);
    assert.equal(out, "ssh:\n  localPort: 2222\n  # agent\n  forwardAgent: true\n");
  });

  it("appends base list items at any depth", async () => {
    const out = await embedCase(
      "base: base0.yaml\nimages:\n- location: a\ncontainerd:\n  archives:\n  - location: x\n",
      ["images:\n- location: b\ncontainerd:\n  archives:\n  - location: y\n"],
    );
    assert.deepEqual(data(out), { images: [{ location: "a" }, { location: "b" }], containerd: { archives: [{ location: "x" }, { location: "y" }] } });
  });

  it("prepends probes and provision scripts", async () => {
    const out = await embedCase("base: base0.yaml\nprobes: [{script: 1}]\nprovision: [{script: One}]\n", [
      "probes: [{script: 2}]\nprovision: [{script: Two}]\n",
    ]);
    assert.deepEqual(data(out), { probes: [{ script: 2 }, { script: 1 }], provision: [{ script: "Two" }, { script: "One" }] });
  });

  it("ignores the base dns when the template has entries", async () => {
    assert.deepEqual(data(await embedCase("base: base0.yaml\ndns: [1.1.1.1]\n", ["dns: [8.8.8.8, 1.2.3.4]\n"])), { dns: ["1.1.1.1"] });
    assert.deepEqual(data(await embedCase("base: base0.yaml\ndns: []\n", ["dns: [1.1.1.1, 8.8.8.8]\n"])), { dns: ["1.1.1.1", "8.8.8.8"] });
    assert.deepEqual(data(await embedCase("base: base0.yaml\n", ["dns: [1.1.1.1]\n"])), { dns: ["1.1.1.1"] });
  });

  it("de-duplicates mountTypesUnsupported", async () => {
    const out = await embedCase("base: base0.yaml\nmountTypesUnsupported: [9p,reverse-sshfs]\n", ["mountTypesUnsupported: [9p,virtiofs]\n"]);
    assert.deepEqual(data(out), { mountTypesUnsupported: ["9p", "reverse-sshfs", "virtiofs"] });
  });

  it("takes the higher minimumLimaVersion with its comment", async () => {
    const out = await embedCase("base: base0.yaml\n# Works with 0.8.0\nminimumLimaVersion: 0.8.0 # needs 0.8.0\n", [
      "# Requires at least 1.0.2\nminimumLimaVersion: 1.0.2    # or later\n",
    ]);
    assert.equal(out, "# Requires at least 1.0.2\nminimumLimaVersion: 1.0.2  # or later\n");
    const lower = await embedCase("base: base0.yaml\nminimumLimaVersion: 2.0.0\n", ["minimumLimaVersion: 1.0.0\n"]);
    assert.equal(lower, "minimumLimaVersion: 2.0.0\n");
  });

  it("takes the higher vmOpts.qemu.minimumVersion", async () => {
    const out = await embedCase("base: base0.yaml\nvmOpts: {qemu: {minimumVersion: 8.2.1}}\n", ["vmOpts: {qemu: {minimumVersion: 9.1.0}}\n"]);
    assert.deepEqual(data(out), { vmOpts: { qemu: { minimumVersion: "9.1.0" } } });
  });

  it("copies comments onto existing lists that have none", async () => {
    const out = await embedCase("base: base0.yaml\nadditionalDisks:\n- name: disk1 # One\n", [
      "# Mount additional disks\nadditionalDisks: # comment\n# This is disk2\n- name: disk2 # Two\n",
    ]);
    assert.equal(out, "# Mount additional disks\nadditionalDisks:  # comment\n- name: disk1  # One\n# This is disk2\n- name: disk2  # Two\n");
  });

  it("ends the output with exactly one newline", async () => {
    assert.equal(await embedCase("base: base0.yaml\n\n\n", ["cpus: 1\n\n\n"]), "cpus: 1\n");
  });
});

describe("embedding: base chains", () => {
  it("embeds bases depth-first", async () => {
    const out = await embedCase("base: base0.yaml\n", [
      "base: [base1.yaml, {url: base2.yaml}]\nadditionalDisks: [disk0]\n",
      "base: base3.yaml\nadditionalDisks: [disk1]\n",
      "additionalDisks: [disk2]\n",
      "additionalDisks: [disk3]\n",
    ]);
    assert.deepEqual(data(out), { additionalDisks: ["disk0", "disk1", "disk3", "disk2"] });
  });

  it("detects loops", async () => {
    await assert.rejects(embedCase("base: base0.yaml\narch: aarch64\n", ["base: base0.yaml\nvmType: qemu\n"]), (err: Error) =>
      /^base template loop detected: template `\/.*\/base0\.yaml` already included$/.test(err.message),
    );
  });

  it("stops at template: bases unless embedAll", async () => {
    const out = await embedCase("base: base0.yaml\n", ["base: template:default\nprovision:\n- file:\n    url: template:provision.sh\n"]);
    assert.deepEqual(data(out), { base: "template:default", provision: [{ file: { url: "template:provision.sh" } }] });
    await assert.rejects(embedCase("base: base0.yaml\n", ["base: [template:default, base1.yaml]\n", "cpus: 1\n"]), (err: Error) => /^cannot embed template `.*base1\.yaml` after not embedding `template:default`$/.test(err.message));
  });

  it("rejects digests on bases", async () => {
    await assert.rejects(embedCase("base: base0.yaml\n", ["base: [{url: base1.yaml, digest: deafbad}]\n", ""]), /has specified a digest; digest support is not yet implemented/);
  });

  it("turns image URL bases into templates", async () => {
    const out = await embedCase("base: https://example.com/lima-linux-riscv64.img\n", []);
    assert.deepEqual(data(out), { os: "Linux", arch: "riscv64", images: [{ location: "https://example.com/lima-linux-riscv64.img", arch: "riscv64" }] });
  });

  it("prepends $LIMA_HOME/_config/base.yaml when asked", async () => {
    const home = scratch({ "_config/base.yaml": "cpus: 7\nmemory: 1GiB\n" });
    await withEnv({ LIMA_HOME: home }, async () => {
      const withBase = await embedCase("base: base0.yaml\nmemory: 2GiB\n", ["disk: 5GiB\n"], { embedAll: true, defaultBase: true });
      assert.deepEqual(data(withBase), { memory: "2GiB", cpus: 7, disk: "5GiB" });
      const without = await embedCase("memory: 2GiB\n", [], { embedAll: true, defaultBase: false });
      assert.deepEqual(data(without), { memory: "2GiB" });
    });
  });

  it("keeps a file header when the base key is removed", async () => {
    const out = await embedCase("# My template\n\nbase: base0.yaml\ncpus: 2\n", ["disk: 1GiB\n"]);
    assert.equal(out, "# My template\n\ncpus: 2\ndisk: 1GiB\n");
  });
});

describe("embedding: keyed list combining", () => {
  it("fills disks sharing a name", async () => {
    const out = await embedCase("base: base0.yaml\nadditionalDisks: [{name: disk1}]\n", ["additionalDisks: [{name: disk2},{name: disk1, format: true}]\n"]);
    assert.deepEqual(data(out), { additionalDisks: [{ name: "disk1", format: true }, { name: "disk2" }] });
  });

  it("applies wildcard disks to all earlier entries and upgrades strings", async () => {
    const out = await embedCase("base: base0.yaml\nadditionalDisks:\n- name: disk1\n- disk2\n- name: disk3\n  format: false\n", [
      "additionalDisks:\n- name: disk4\n- name: \"*\"\n  format: true\n  fsArgs: [-L, x]\n- name: disk5\n",
    ]);
    assert.deepEqual(data(out), {
      additionalDisks: [
        { name: "disk1", format: true, fsArgs: ["-L", "x"] },
        { name: "disk2", format: true, fsArgs: ["-L", "x"] },
        { name: "disk3", format: false, fsArgs: ["-L", "x"] },
        { name: "disk4", format: true, fsArgs: ["-L", "x"] },
        { name: "disk5" },
      ],
    });
  });

  it("combines mounts by mountPoint, falling back to location", async () => {
    const out = await embedCase("base: base0.yaml\nmounts: [{location: loc1}, {location: loc1, mountPoint: loc2}]\n", [
      "mounts: [{location: loc1, mountPoint: loc2, writable: true, sshfs: {followSymlinks: true}}, {location: loc1, mountPoint: loc3, writable: true}, {location: loc1, 9p: {cache: mmap}}]\n",
    ]);
    assert.deepEqual(data(out), {
      mounts: [
        { location: "loc1", "9p": { cache: "mmap" } },
        { location: "loc1", mountPoint: "loc2", writable: true, sshfs: { followSymlinks: true } },
        { location: "loc1", mountPoint: "loc3", writable: true },
      ],
    });
  });

  it("combines networks by interface and never merges unnamed ones", async () => {
    const out = await embedCase("base: base0.yaml\nnetworks:\n- interface: lima1\n", [
      "networks:\n- interface: lima2\n- metric: 250\n- interface: lima1\n  metric: 100 # set on lima1\n  lima: shared\n- interface: '*'\n  metric: 123\n",
    ]);
    assert.deepEqual(data(out), {
      networks: [{ interface: "lima1", metric: 100, lima: "shared" }, { interface: "lima2", metric: 123 }, { metric: 250 }],
    });
    assert.match(out, /metric: 100  # set on lima1/);
  });

  it("does not fill socket when lima is already set", async () => {
    const out = await embedCase("base: base0.yaml\nnetworks: [{interface: a, lima: shared}]\n", ["networks: [{interface: a, socket: /x.sock, macAddress: '52:55:55:00:00:01'}]\n"]);
    assert.deepEqual(data(out), { networks: [{ interface: "a", lima: "shared", macAddress: "52:55:55:00:00:01" }] });
  });
});

describe("embedding: script files", () => {
  it("inlines provision files as script, content or expression, keeping comments", async () => {
    const out = await embedCase(
      "provision:\n# external script\n- file: base0.sh # moves to script\n- mode: data\n  file: base0.sh\n  path: /tmp/data\n- mode: yq\n  file: base0.sh\n  path: /tmp/yq\n",
      ['#!/usr/bin/env bash\necho "hi"\n'],
    );
    assert.equal(
      out,
      'provision:\n# external script\n- script: |  # moves to script\n    #!/usr/bin/env bash\n    echo "hi"\n- mode: data\n  content: |\n    #!/usr/bin/env bash\n    echo "hi"\n  path: /tmp/data\n- mode: yq\n  expression: |\n    #!/usr/bin/env bash\n    echo "hi"\n  path: /tmp/yq\n',
    );
  });

  it("inlines probe files and keeps existing scripts", async () => {
    const out = await embedCase("probes:\n- file: base0.sh\n- file: base0.sh\n  script: '#!/bin/true'\n", ["#! probe"]);
    const probes = (data(out) as { probes: Array<Record<string, string>> }).probes;
    assert.deepEqual(probes[0], { script: "#! probe" });
    assert.equal(probes[1]?.script, "#!/bin/true");
    assert.match(probes[1]?.file ?? "", /^\/.*\/base0\.sh$/);
  });

  it("base64-encodes binary files as !!binary", async () => {
    const out = await embedCase("provision:\n- mode: data\n  file: base0.sh\n  path: /tmp/data\n", [
      "#!\x07123456789012345678901234567890123456789012345678901234567890",
    ]);
    assert.equal(
      out,
      "provision:\n- mode: data\n  content: !!binary |\n    IyEHMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0\n    NTY3ODkw\n  path: /tmp/data\n",
    );
  });

  it("explains why text must be encoded", () => {
    assert.equal(encodeScriptReason("0123456\n", 8), "");
    assert.equal(encodeScriptReason("abc\x07123", 8), "unprintable character '\\a' at offset 3");
    assert.equal(encodeScriptReason("foo\tbar", 8), "unprintable character '\\t' at offset 3");
    assert.equal(encodeScriptReason("0123456789", 8), "line 1 (offset 0) is longer than 8 characters");
    assert.equal(binaryString("hi"), "aGk=");
  });
});

describe("absolute locators", () => {
  it("resolves relative locators against the template's directory", () => {
    assert.equal(locatorDir("template:_images/ubuntu"), "template:_images");
    assert.equal(locatorDir("template:default"), "template:");
    assert.equal(locatorDir("https://example.com/dir/t.yaml"), "https://example.com/dir");
    assert.equal(absLocator("base.yaml", "template:_images"), "template:_images/base.yaml");
    assert.equal(absLocator("base.yaml", "template:"), "template:base.yaml");
    assert.equal(absLocator("sub/b.yaml", "https://example.com/dir"), "https://example.com/dir/sub/b.yaml");
    assert.equal(absLocator("b.yaml", "/tmp/x"), "/tmp/x/b.yaml");
    assert.equal(absLocator("https://a/b.yaml", "/tmp"), "https://a/b.yaml");
    assert.equal(absLocator("/abs//b.yaml", "/tmp"), "/abs/b.yaml");
  });

  it("rejects .. segments and empty locators", () => {
    assert.throws(() => absLocator("../b.yaml", "/tmp"), { message: "relative locator path `../b.yaml` must not contain '..' path segments" });
    assert.throws(() => absLocator("", "/tmp"), { message: "locator is empty" });
  });

  it("template copy rewrites relative locators unless verbatim", async () => {
    const dir = scratch({ "t.yaml": "base: b.yaml\nprovision:\n- file: s.sh\n", "b.yaml": "cpus: 1\n", "s.sh": "#!/bin/sh\n" });
    const locator = path.join(dir, "t.yaml");
    assert.equal(await templateCopy(locator), `base: ${dir}/b.yaml\nprovision:\n- file: ${dir}/s.sh\n`);
    assert.equal(await templateCopy(locator, { verbatim: true }), "base: b.yaml\nprovision:\n- file: s.sh\n");
    assert.equal(await templateCopy(locator, { embed: true }), "provision:\n- script: |\n    #!/bin/sh\ncpus: 1\n");
    await assert.rejects(templateCopy(locator, { embed: true, verbatim: true }), { message: "--verbatim cannot be used with any of --embed, --embed-all, or --fill" });
    writeFileSync(path.join(dir, "empty.yaml"), "");
    await assert.rejects(templateCopy(path.join(dir, "empty.yaml")), /don't know how to interpret `.*empty\.yaml` as a template locator/);
  });
});
