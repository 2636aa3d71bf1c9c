import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { embed, templateCopy } from "../../../src/templates/embed.js";
import { readLocator } from "../../../src/templates/locator.js";
import { shareDir } from "../../../src/util/pkgroot.js";
import { scratch, withEnv } from "./helpers.js";

const USER_TEMPLATES = [
  "default", "ubuntu", "ubuntu-lts", "ubuntu-24.04", "ubuntu-26.04", "debian", "debian-12", "debian-13",
  "alpine", "fedora", "docker", "podman", "k8s",
];
const BASES = [
  "_images/ubuntu", "_images/ubuntu-lts", "_images/ubuntu-24.04", "_images/ubuntu-26.04", "_images/debian",
  "_images/debian-12", "_images/debian-13", "_images/alpine", "_images/fedora", "_default/mounts",
];

interface Config {
  minimumLimaVersion?: string;
  base?: unknown;
  images?: Array<{ location: string; arch: string; digest?: string }>;
  mounts?: Array<{ location: string }>;
  mountTypesUnsupported?: string[];
  provision?: Array<Record<string, unknown>>;
  containerd?: { system?: boolean; user?: boolean };
}

async function embedded(name: string): Promise<Config> {
  const tmpl = await readLocator(`template:${name}`);
  return parse(new TextDecoder().decode((await embed(tmpl, { embedAll: true, defaultBase: false })).bytes)) as Config;
}

const shipped = { LIMA_TEMPLATES_PATH: undefined, LIMA_HOME: scratch() };

describe("built-in templates", () => {
  for (const name of USER_TEMPLATES) {
    it(`${name} embeds completely and has x86_64 images`, async () => {
      await withEnv(shipped, async () => {
        const config = await embedded(name);
        assert.equal(config.base, undefined);
        assert.equal(config.minimumLimaVersion, "2.0.0");
        const x86 = (config.images ?? []).filter((i) => i.arch === "x86_64");
        assert.ok(x86.length > 0, "no x86_64 image");
        for (const image of x86) assert.match(image.location, /^https:\/\//);
      });
    });
  }

  it("default and ubuntu use Ubuntu 26.04 with the home mount", async () => {
    await withEnv(shipped, async () => {
      for (const name of ["default", "ubuntu", "ubuntu-lts"]) {
        const config = await embedded(name);
        assert.match(config.images?.[0]?.location ?? "", /ubuntu-26\.04-server-cloudimg-amd64\.img$/);
        assert.deepEqual(config.mounts, [{ location: "~" }]);
      }
    });
  });

  it("debian marks 9p unsupported; k8s has no mounts; docker disables containerd", async () => {
    await withEnv(shipped, async () => {
      assert.deepEqual((await embedded("debian")).mountTypesUnsupported, ["9p"]);
      assert.match((await embedded("debian")).images?.[0]?.location ?? "", /debian-13-genericcloud-amd64/);
      assert.deepEqual((await embedded("k8s")).mounts, []);
      const docker = await embedded("docker");
      assert.deepEqual(docker.containerd, { system: false, user: false });
      assert.equal(docker.provision?.length, 4);
    });
  });

  it("every base template embeds without error", async () => {
    await withEnv(shipped, async () => {
      for (const name of BASES) await embedded(name);
    });
  });

  it("`base: FILE` with --embed reproduces each shipped file exactly", async () => {
    await withEnv(shipped, async () => {
      for (const name of [...USER_TEMPLATES, ...BASES]) {
        const file = path.join(shareDir(), "templates", `${name}.yaml`);
        const dir = scratch({ "wrapper.yaml": `base: ${file}` });
        const copy = await templateCopy(path.join(dir, "wrapper.yaml"), { embed: true });
        const original = new TextDecoder().decode((await readLocator(file)).bytes);
        assert.equal(copy, original, name);
      }
    });
  });
});
