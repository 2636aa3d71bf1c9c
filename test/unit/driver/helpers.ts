// Driver programs for the external driver tests: executables named lima-driver-<name> in a
// temporary directory, running an SDK driver bundled as `npm run build` bundles lima-driver-qemu
// (a bundle starts in a fraction of the time tsx needs), or a misbehaving script.
import { build } from "esbuild";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "../../helpers/limactl.js";

export const FIXTURE_DRIVER = path.join(REPO, "test/unit/driver/fixtures/lima-driver-fixture.ts");
export const HELLO_DRIVER = path.join(REPO, "examples/lima-driver-hello/lima-driver-hello.ts");

/** Writes an executable `dir/lima-driver-<name>` with the shell script `body`; returns its path. */
export function driverProgram(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `lima-driver-${name}`);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * A program running the TypeScript driver `tsFile`, bundled to `dir/lima-driver-<name>.mjs` (the
 * SDK takes the name from that file name); exec keeps the PID the client records.
 */
export async function tsDriverProgram(dir: string, name: string, tsFile: string): Promise<string> {
  const bundle = path.join(dir, `lima-driver-${name}.mjs`);
  await build({
    entryPoints: [tsFile],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "warning",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return driverProgram(dir, name, `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} "$@"`);
}
