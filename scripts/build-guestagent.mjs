// Compiles the guest agent (src/guestagent/main.ts) with `bun build --compile` into standalone
// executables, share/lima/lima-guestagent.Linux-<arch>, where the host agent finds them
// (src/guestagent/binary.ts). x86_64 always; aarch64 only on request, since bun downloads that
// target's runtime (~50 MB, from the npm registry) the first time:
//   node scripts/build-guestagent.mjs [--arch x86_64,aarch64] [--force]
//   LIMA_TS_GUESTAGENT_ARCHS=x86_64,aarch64 npm run build
// Up-to-date executables (newer than every source file) are left alone.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const BUN = path.resolve("node_modules/.bin/bun");
const ENTRY = "src/guestagent/main.ts";
const OUT_DIR = "share/lima";
/** Lima's arch names → bun's compile targets (glibc; see the report for musl/Alpine). */
const TARGETS = { x86_64: "bun-linux-x64", aarch64: "bun-linux-arm64" };

const NATIVE_ARCH = { x64: "x86_64", arm64: "aarch64" }[process.arch];

const { values } = parseArgs({ options: { arch: { type: "string" }, force: { type: "boolean", default: false } } });
const archs = (values.arch ?? process.env.LIMA_TS_GUESTAGENT_ARCHS ?? "x86_64").split(",").filter(Boolean);

function newestSource() {
  const files = readdirSync("src", { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
  return Math.max(...[...files, "package.json", "package-lock.json", BUN].filter(existsSync).map((f) => statSync(f).mtimeMs));
}

function build(arch) {
  const target = TARGETS[arch];
  if (!target) throw new Error(`--arch ${arch}: not one of ${Object.keys(TARGETS).join(", ")}`);
  const out = path.join(OUT_DIR, `lima-guestagent.Linux-${arch}`);
  if (!values.force && existsSync(out) && statSync(out).mtimeMs > newestSource()) return;
  const started = Date.now();
  // Bytecode starts the agent ~30% sooner; only for the host's own arch, where it was verified to run.
  const bytecode = NATIVE_ARCH === arch ? ["--bytecode"] : [];
  execFileSync(BUN, ["build", "--compile", "--minify", ...bytecode, `--target=${target}`, ENTRY, "--outfile", out], { stdio: ["ignore", "ignore", "inherit"] });
  console.log(`built ${out} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, ${Date.now() - started} ms)`);
}

if (!existsSync(BUN)) {
  // An install without devDependencies: limactl works, guests just get no agent.
  console.warn(`warning: ${BUN} is missing (devDependency "bun"); not building the guest agent`);
} else {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const arch of archs) build(arch);
}
