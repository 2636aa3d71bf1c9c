// Runs every test file with node:test (TypeScript through tsx), prints the spec report and a
// closing `N passed, N failed` line. `--unit` skips the end-to-end tests that boot VMs.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";

const unitOnly = process.argv.includes("--unit");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));

function collect(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

let files = collect("test/unit");
if (!unitOnly) files = files.concat(collect("test/e2e"));
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));

let passed = 0;
let failed = 0;
let skipped = 0;
const stream = run({ files, concurrency: 1, timeout: 40 * 60_000 });
stream.on("test:pass", (e) => {
  if (e.details?.type === "suite") return;
  if (e.skip || e.todo) skipped++;
  else passed++;
});
stream.on("test:fail", (e) => {
  if (e.details?.type === "suite") return;
  failed++;
});
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });
report.on("end", () => {
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
});
