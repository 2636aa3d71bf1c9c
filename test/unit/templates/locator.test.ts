import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { instanceNameFromImageURL } from "../../../src/templates/imagename.js";
import { parseGitHubLocator, rawContentURL, transformGitHubURL, validateRedirect } from "../../../src/templates/github.js";
import {
  findURLPlugin,
  instanceNameFromLocator,
  instanceNameFromYAMLPath,
  isTemplateURL,
  readLocator,
  templateURLName,
  transformCustomURL,
} from "../../../src/templates/locator.js";
import { scratch, withEnv } from "./helpers.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("image URL locators", () => {
  it("infers instance names from image file names", () => {
    assert.equal(instanceNameFromImageURL("https://x/ubuntu-24.04-server-cloudimg-amd64.img", "x86_64", "aarch64"), "ubuntu-24.04-amd64");
    assert.equal(instanceNameFromImageURL("https://x/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2", "x86_64", "x86_64"), "fedora-44-1.7");
    assert.equal(instanceNameFromImageURL("https://x/Fedora-Cloud-Base-Generic-44-1.7.x86_64.qcow2", "x86_64", "aarch64"), "fedora-44-1.7.x86_64");
    assert.equal(
      instanceNameFromImageURL("https://x/FreeBSD-16.0-CURRENT-arm64-aarch64-BASIC-CLOUDINIT-ufs.qcow2.xz", "aarch64", "x86_64"),
      "freebsd-16.0-arm64-ufs",
    );
    assert.equal(instanceNameFromImageURL("https://x/UniversalMac_15.6.1_24G90_Restore.ipsw", "aarch64", "x86_64"), "macos-15.6.1");
  });

  it("strips nocloud_, dates, repeated majors and renames arch", () => {
    assert.equal(
      instanceNameFromImageURL("nocloud_alpine-3.23.4-x86_64-uefi-cloudinit-r0.qcow2", "x86_64", "aarch64"),
      "alpine-3.23.4-x86_64-r0",
    );
    assert.equal(instanceNameFromImageURL("debian-13-genericcloud-amd64-20260712-2537.qcow2", "x86_64", "aarch64"), "debian-13-amd64");
    assert.equal(instanceNameFromImageURL("Rocky-8-GenericCloud-Base-8.10-20240528.0.x86_64.qcow2", "x86_64", "x86_64"), "rocky-8.10");
    assert.equal(instanceNameFromImageURL("Arch-Linux-x86_64-cloudimg.qcow2", "x86_64", "x86_64"), "archlinux");
  });

  it("builds a synthetic template with OS and arch", async () => {
    const tmpl = await readLocator("https://example.com/lima-linux-riscv64.img");
    assert.equal(
      text(tmpl.bytes),
      'os: "Linux"\narch: "riscv64"\nimages:\n- location: "https://example.com/lima-linux-riscv64.img"\n  arch: "riscv64"\n',
    );
    assert.equal(tmpl.name, "lima-riscv64");
    const mac = await readLocator("https://x/UniversalMac_15.6.1_24G90_Restore.ipsw");
    assert.match(text(mac.bytes), /^os: "Darwin"\narch: "aarch64"/);
    const bsd = await readLocator("https://x/FreeBSD-15.0-RELEASE-amd64-BASIC-CLOUDINIT-ufs.qcow2.xz");
    assert.match(text(bsd.bytes), /^os: "FreeBSD"\narch: "x86_64"/);
  });
});

describe("template: locators", () => {
  it("parses template: and template:// forms", () => {
    assert.equal(templateURLName("template:_images/ubuntu"), "_images/ubuntu");
    assert.equal(templateURLName("template://docker"), "docker");
    assert.equal(templateURLName("docker.yaml"), undefined);
    assert.equal(isTemplateURL("https://x/y.yaml"), false);
  });

  it("reads from the store and infers the name", async () => {
    const store = scratch({ "experimental/Vnc.yaml": "vmType: qemu\n" });
    await withEnv({ LIMA_TEMPLATES_PATH: store }, async () => {
      const tmpl = await readLocator("template:experimental/Vnc");
      assert.equal(tmpl.name, "vnc");
      assert.equal(tmpl.locator, "template:experimental/Vnc");
      assert.equal(text(tmpl.bytes), "vmType: qemu\n");
      assert.equal((await readLocator("template:experimental/Vnc", { name: "mine" })).name, "mine");
    });
  });

  it("rewrites template://NAME to template:NAME", async () => {
    assert.equal(await transformCustomURL("template://_images/ubuntu"), "template:_images/ubuntu");
    assert.equal(await transformCustomURL("template:docker"), "template:docker");
  });
});

describe("http locators", () => {
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === "/dir/Fancy.yaml") return res.end("cpus: 2\n");
      if (req.url === "/big.yaml") return res.end("x".repeat(4 * 1024 * 1024 + 1));
      res.statusCode = 404;
      res.end("404: Not Found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("fetches the template and infers the name from the path", async () => {
    const tmpl = await readLocator(`${base}/dir/Fancy.yaml`);
    assert.equal(text(tmpl.bytes), "cpus: 2\n");
    assert.equal(tmpl.name, "fancy");
    assert.equal(tmpl.locator, `${base}/dir/Fancy.yaml`);
  });

  it("fails clearly on HTTP errors and unreachable hosts", async () => {
    await assert.rejects(readLocator(`${base}/missing.yaml`), { message: `failed to fetch template \`${base}/missing.yaml\`: status 404 Not Found` });
    await assert.rejects(readLocator("http://127.0.0.1:1/x.yaml"), (err: Error) => err.message.startsWith("failed to fetch template `http://127.0.0.1:1/x.yaml`: "));
  });

  it("enforces the 4 MiB limit", async () => {
    await assert.rejects(readLocator(`${base}/big.yaml`), /exceeded the limit \(4194304 bytes\)/);
  });
});

describe("file locators", () => {
  it("reads file:// URLs, which must be absolute", async () => {
    const dir = scratch({ "My-VM.yml": "arch: x86_64\n" });
    const tmpl = await readLocator(`file://${dir}/My-VM.yml`);
    assert.equal(tmpl.name, "my-vm");
    assert.equal(text(tmpl.bytes), "arch: x86_64\n");
    await assert.rejects(readLocator("file://relative/x.yaml"), { message: "file URL `file://relative/x.yaml` is not an absolute path" });
  });

  it("makes relative paths absolute", async () => {
    const dir = scratch({ "sub/box.yaml": "cpus: 1\n" });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const tmpl = await readLocator("sub/box.yaml");
      assert.equal(tmpl.locator, path.join(dir, "sub", "box.yaml"));
      assert.equal(tmpl.name, "box");
    } finally {
      process.chdir(cwd);
    }
  });

  it("names the path of a missing file", async () => {
    const dir = scratch();
    await assert.rejects(readLocator(path.join(dir, "gone.yaml")), { message: `open ${path.join(dir, "gone.yaml")}: no such file or directory` });
  });

  it("rejects file names that are not identifiers", async () => {
    const dir = scratch({ "bad name.yaml": "" });
    await assert.rejects(readLocator(path.join(dir, "bad name.yaml")), (err: Error) => /^filename `.*bad name\.yaml` is invalid: identifier `bad name` must match/.test(err.message));
    assert.equal(instanceNameFromYAMLPath("a/Ubuntu-24.04.yaml"), "ubuntu-24.04");
  });

  it("reads stdin with an empty name", () => {
    const child = spawnSync(process.execPath, ["--import", "tsx", path.join(here, "fixtures", "read-stdin.ts")], {
      input: "cpus: 3\n",
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { name: "", locator: "-", text: "cpus: 3\n" });
  });

  it("derives instance names from locators without reading them", () => {
    assert.equal(instanceNameFromLocator("template:docker"), "docker");
    assert.equal(instanceNameFromLocator("https://x/y/k3s.yaml"), "k3s");
    assert.equal(instanceNameFromLocator("./dir/dev.yml"), "dev");
    assert.equal(instanceNameFromLocator("-"), "");
  });
});

describe("github: locators", () => {
  it("applies the REPO and PATH defaults", () => {
    assert.deepEqual(parseGitHubLocator("lima-vm"), { org: "lima-vm", repo: "lima-vm", filePath: ".lima.yaml", branch: "" });
    assert.deepEqual(parseGitHubLocator("lima-vm/lima/templates/docker@v2.0.0"), {
      org: "lima-vm", repo: "lima", filePath: "templates/docker.yaml", branch: "v2.0.0",
    });
    assert.equal(parseGitHubLocator("org//dir/").filePath, "dir/.lima.yaml");
    assert.equal(parseGitHubLocator("org/repo/.hidden").filePath, ".hidden.yaml");
    assert.equal(parseGitHubLocator("org/repo/run.sh").filePath, "run.sh");
  });

  it("builds raw.githubusercontent.com URLs", () => {
    const loc = parseGitHubLocator("lima-vm/lima/templates/docker@master");
    assert.equal(rawContentURL(loc, "master"), "https://raw.githubusercontent.com/lima-vm/lima/master/templates/docker.yaml");
  });

  it("rejects empty orgs and escapes", () => {
    assert.throws(() => parseGitHubLocator(""), { message: "github: URL must contain at least an ORG, got ``" });
    assert.throws(() => parseGitHubLocator("org/repo/../../x"), /escapes the repository/);
  });

  it("validates redirects", () => {
    assert.equal(validateRedirect("github:org/repo/x\n", "org", "v1", "U"), "github:org/repo/x@v1");
    assert.throws(() => validateRedirect("github:other/x", "org", "", "U"), { message: "redirect `github:other/x` is not a `github:org` URL (from `U`)" });
    assert.throws(() => validateRedirect("github:org/x@main", "org", "", "U"), /must not include a branch\/tag\/sha/);
  });

  it("resolves default branches and symlinks against a GitHub-like server", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/api/repos/org/repo") return res.end(JSON.stringify({ default_branch: "main" }));
      if (req.url === "/raw/org/repo/main/templates/alias.yaml") return res.end("real.yaml");
      if (req.url === "/raw/org/repo/main/templates/plain.yaml") return res.end("cpus: 1\n");
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const endpoints = { api: `${root}/api`, raw: `${root}/raw` };
    try {
      assert.equal(await transformGitHubURL("org/repo/templates/alias", endpoints), `${root}/raw/org/repo/main/templates/real.yaml`);
      assert.equal(await transformGitHubURL("org/repo/templates/plain", endpoints), `${root}/raw/org/repo/main/templates/plain.yaml`);
      await assert.rejects(transformGitHubURL("org/repo/nothing@main", endpoints), /not found or inaccessible: status 404/);
    } finally {
      server.close();
    }
  });
});

describe("url plugins", () => {
  it("runs limactl-url-SCHEME and uses its output", async () => {
    const dir = scratch({ "target.yaml": "cpus: 5\n" });
    const plugin = path.join(dir, "limactl-url-demo");
    writeFileSync(plugin, `#!/bin/sh\necho "${dir}/$1.yaml"\n`);
    chmodSync(plugin, 0o755);
    assert.equal(findURLPlugin("demo", [dir]), plugin);
    await withEnv({ PATH: `${dir}:${process.env.PATH}` }, async () => {
      const tmpl = await readLocator("demo:target");
      assert.equal(text(tmpl.bytes), "cpus: 5\n");
      assert.equal(tmpl.name, "target");
    });
  });

  it("reports plugin failures with stderr", async () => {
    const dir = scratch();
    const plugin = path.join(dir, "limactl-url-broken");
    writeFileSync(plugin, "#!/bin/sh\necho 'no such thing' >&2\nexit 3\n");
    chmodSync(plugin, 0o755);
    await withEnv({ PATH: `${dir}:${process.env.PATH}` }, async () => {
      await assert.rejects(readLocator("broken:x"), { message: `command \`${plugin} x\` failed: no such thing` });
    });
  });
});
