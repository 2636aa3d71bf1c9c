// Bundles the CLI into one ESM file so `limactl` starts close to bare Node start-up.
import { build } from "esbuild";
import { chmodSync, rmSync } from "node:fs";

// Chunk names carry content hashes: start clean so old chunks do not pile up.
rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { limactl: "src/cli/main.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  splitting: true,
  sourcemap: "linked",
  logLevel: "warning",
  // CommonJS dependencies bundled into ESM need a require().
  banner: { js: "import { createRequire as __limaCreateRequire } from 'node:module'; const require = __limaCreateRequire(import.meta.url);" },
});
chmodSync("bin/limactl", 0o755);
chmodSync("bin/lima", 0o755);
