// Bundles the CLI into ESM files so `limactl` starts close to bare Node start-up: a tiny entry
// (dist/limactl.mjs, no imports of its own: `--version` loads nothing else) that imports
// dist/root.mjs or dist/yq.mjs, which split every command into chunks loaded on demand.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

/** Digest of the sources and the pinned dependencies: ties caches (src/store/configcache.ts) to this build. */
function buildId() {
  const hash = createHash("sha256");
  const files = readdirSync("src", { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
  for (const file of ["package.json", ...files]) hash.update(`${file}\0`).update(readFileSync(file)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

const common = {
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  define: { __LIMA_TS_BUILD_ID__: JSON.stringify(buildId()) },
  // CommonJS dependencies bundled into ESM need a require().
  banner: { js: "import { createRequire as __limaCreateRequire } from 'node:module'; const require = __limaCreateRequire(import.meta.url);" },
};

/** The entry's dynamic imports, kept as imports of the split build's entry files. */
const SPLIT_ENTRIES = { "./root.js": "./root.mjs", "./commands/yq.js": "./yq.mjs" };
const splitEntriesExternal = {
  name: "split-entries-external",
  setup(b) {
    b.onResolve({ filter: /^\.\/(root|commands\/yq)\.js$/ }, (args) => ({ path: SPLIT_ENTRIES[args.path], external: true }));
  },
};

const SPLIT_BUILD = { ...common, entryPoints: { root: "src/cli/root.ts", yq: "src/cli/commands/yq.ts" }, splitting: true };
const CORE = path.resolve("src/cli/core.ts");
/** The stand-alone yq CLI (`yq`, `limactl yq`) loads none of the core. */
const YQ_WORLD = [path.resolve("src/yq"), path.resolve("src/cli/commands/yq.ts")];

/** Modules the split build loads with import(): each is an entry point of its own to esbuild. */
async function dynamicImportTargets() {
  const { metafile } = await build({ ...SPLIT_BUILD, write: false, metafile: true, logLevel: "silent" });
  const targets = new Set();
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) if (imp.kind === "dynamic-import" && !imp.external) targets.add(path.resolve(imp.path));
  }
  return targets;
}

/** Prepends `import "src/cli/core.ts"` to root.ts and to every import() target (see core.ts). */
function coreInEveryEntry(targets) {
  const gets = (file) => (file === path.resolve(SPLIT_BUILD.entryPoints.root) || targets.has(file)) && !YQ_WORLD.some((p) => file.startsWith(p));
  return {
    name: "core-in-every-entry",
    setup(b) {
      b.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => {
        if (!gets(args.path)) return undefined;
        return { contents: `import ${JSON.stringify(CORE)};\n${readFileSync(args.path, "utf8")}`, loader: "ts" };
      });
    },
  };
}

/**
 * Every `src/driver/<name>/main.ts` is an external driver program: bundled to
 * dist/drivers/lima-driver-<name>.mjs and started through the committed launcher
 * libexec/lima/lima-driver-<name>, whose name is where the driver takes its own from.
 */
async function buildExternalDrivers() {
  const names = readdirSync("src/driver", { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join("src/driver", e.name, "main.ts")))
    .map((e) => e.name);
  const entryPoints = Object.fromEntries(names.map((name) => [`lima-driver-${name}`, `src/driver/${name}/main.ts`]));
  await build({ ...common, outdir: "dist/drivers", entryPoints });
  for (const name of names) {
    const launcher = `libexec/lima/lima-driver-${name}`;
    if (!existsSync(launcher)) throw new Error(`${launcher} is missing: add a launcher like libexec/lima/lima-driver-qemu for src/driver/${name}/main.ts`);
    chmodSync(launcher, 0o755);
  }
}

/** CLI plugins shipped in libexec/lima (Lima: limactl-mcp), each one bundle started by its committed launcher. */
async function buildPlugins() {
  await build({ ...common, outdir: "dist/plugins", entryPoints: { "limactl-mcp": "src/mcp/main.ts" } });
  chmodSync("libexec/lima/limactl-mcp", 0o755);
}

// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync("dist", { recursive: true, force: true });
await build({ ...common, entryPoints: { limactl: "src/cli/main.ts" }, plugins: [splitEntriesExternal] });
await build({ ...SPLIT_BUILD, plugins: [coreInEveryEntry(await dynamicImportTargets())] });
await buildExternalDrivers();
await buildPlugins();
// `limactl generate-jsonschema` prints the lima.yaml schema generated from src/config/types.ts.
execFileSync(process.execPath, ["--import", "tsx", "scripts/limayaml-schema.ts", "dist/schema-limayaml.json"], { stdio: "inherit" });
chmodSync("bin/limactl", 0o755);
chmodSync("bin/lima", 0o755);

// The guest agent: a standalone executable compiled by bun (scripts/build-guestagent.mjs).
execFileSync(process.execPath, ["scripts/build-guestagent.mjs"], { stdio: "inherit" });
