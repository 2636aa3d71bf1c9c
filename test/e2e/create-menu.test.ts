// On a terminal, `create` and `start` of a new instance ask what to do first, as Lima does.
// Driven through a real pseudo-terminal; no VM boots (the only `start` chooses Exit).
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LIMACTL, LimaHome } from "../helpers/limactl.js";
import { runInPty } from "../helpers/pty.js";

const home = new LimaHome();
after(() => home.cleanup());

const TEMPLATE = path.join(home.dir, "profile.yaml");
writeFileSync(TEMPLATE, "images: [{location: /etc/profile}]\n");
const DOWN = "\x1b[B";
const ENTER = "\r";
const MENU = /Creating an instance `\w+` .*\[Use arrows/;

function editorScript(name: string, body: string): string {
  const file = path.join(home.dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function create(name: string, keys: string, env: NodeJS.ProcessEnv = {}, extra: string[] = []) {
  return runInPty([LIMACTL, "create", `--name=${name}`, ...extra, TEMPLATE], keys === "" ? [] : [{ after: MENU, keys }], { ...home.env, ...env });
}

const instanceExists = (name: string): boolean => existsSync(path.join(home.dir, name, "lima.yaml"));

describe("the question before creating an instance", () => {
  it("offers Lima's four choices; Exit creates nothing", async () => {
    const res = await create("exit", `${DOWN}${DOWN}${DOWN}${ENTER}`);
    assert.match(res.output, /Proceed with the current configuration/);
    assert.match(res.output, /Open an editor to review or modify the current configuration/);
    assert.match(res.output, /Choose another template \(docker, podman, archlinux, fedora, \.\.\.\)/);
    assert.match(res.output, /Choosing to exit/);
    assert.equal(res.code, 1);
    assert.equal(existsSync(path.join(home.dir, "exit")), false);
  });

  it("Proceed creates the instance from the template", async () => {
    const res = await create("proceed", ENTER);
    assert.equal(res.code, 0, res.output);
    assert.equal(readFileSync(path.join(home.dir, "proceed", "lima.yaml"), "utf8"), "images: [{location: /etc/profile}]\n");
  });

  it("the editor sees the header and the template; what it saves is created", async () => {
    const seen = path.join(home.dir, "seen.yaml");
    const editor = editorScript("edit.sh", `cp "$1" ${seen}\necho "cpus: 3" >> "$1"`);
    const res = await create("edited", `${DOWN}${ENTER}`, { EDITOR: editor, VISUAL: "" });
    assert.equal(res.code, 0, res.output);
    assert.match(readFileSync(seen, "utf8"), /^# Review and modify the following configuration for Lima instance `edited`\.\n# - To cancel starting Lima, just save this file as an empty file\.\n\nimages: \[\{location: \/etc\/profile\}\]\n$/);
    const yaml = readFileSync(path.join(home.dir, "edited", "lima.yaml"), "utf8");
    assert.match(yaml, /cpus: 3/);
    assert.doesNotMatch(yaml, /Review and modify/);
  });

  it("an emptied editor buffer aborts", async () => {
    const editor = editorScript("empty.sh", ': > "$1"');
    const res = await create("emptied", "2", { EDITOR: editor, VISUAL: "" });
    assert.match(res.output, /Aborting, as requested by saving the file with empty content/);
    assert.equal(instanceExists("emptied"), false);
  });

  it("another template can be chosen, then the question comes again", async () => {
    const res = await runInPty([LIMACTL, "create", "--name=other", TEMPLATE], [
      { after: MENU, keys: "3" },
      { after: /Choose a template .*\[Use arrows/, keys: `podman${ENTER}` },
      { after: MENU, keys: "4" },
    ], home.env);
    assert.match(res.output, /Choose a template podman/);
    assert.match(res.output, /Choosing to exit/);
    assert.equal(instanceExists("other"), false);
  });

  it("Ctrl-C interrupts", async () => {
    const res = await create("interrupted", "\x03");
    assert.equal(res.code, 1);
    assert.match(res.output, /Interrupted by user/);
    assert.equal(instanceExists("interrupted"), false);
  });

  it("--tty=false does not ask", async () => {
    const res = await create("notty", "", {}, ["--tty=false"]);
    assert.equal(res.code, 0, res.output);
    assert.match(res.output, /Terminal is not available, proceeding without opening an editor/);
    assert.doesNotMatch(res.output, /Creating an instance/);
    assert.equal(instanceExists("notty"), true);
  });

  it("start of a new instance asks too", async () => {
    const res = await runInPty([LIMACTL, "start", "--name=started", TEMPLATE], [{ after: MENU, keys: "4" }], home.env);
    assert.match(res.output, /Choosing to exit/);
    assert.equal(existsSync(path.join(home.dir, "started")), false);
  });
});
