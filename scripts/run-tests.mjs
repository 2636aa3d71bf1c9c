// Runs every test file with node:test (TypeScript through tsx), prints the spec report and a
// closing `N passed, N failed` line. `--unit` skips the end-to-end tests that boot VMs.
// Other arguments filter the files by path fragment; an argument naming an existing file runs
// that file even outside test/ (the runner's own tests use that for their fixtures).
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { run } from "node:test";
import { spec } from "node:test/reporters";

const unitOnly = process.argv.includes("--unit");
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const explicitFiles = args.filter((a) => existsSync(a) && statSync(a).isFile()).map((f) => path.resolve(f));
const filters = args.filter((a) => !explicitFiles.includes(path.resolve(a)));

function collect(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function selectFiles() {
  if (explicitFiles.length > 0) return explicitFiles;
  let files = collect("test/unit");
  if (!unitOnly) files = files.concat(collect("test/e2e"));
  if (filters.length > 0) files = files.filter((f) => filters.some((o) => f.includes(o)));
  return files;
}

/**
 * Counts what node:test reports. Tests count as themselves; a suite counts only for what its
 * tests do not already show: a failed hook (before/after) or a crash fails it, a skipped
 * `describe` counts as one skip (its tests are never reported). A suite that failed only
 * because a test in it failed is not counted again.
 */
function countEvent(counts, type, event) {
  const isSuite = event.details?.type === "suite";
  if (type === "test:fail") {
    if (isSuite && event.details?.error?.failureType === "subtestsFailed") return;
    counts.failed++;
    return;
  }
  if (event.skip || event.todo) {
    counts.skipped++;
    return;
  }
  if (!isSuite) counts.passed++;
}

function summary({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

const files = selectFiles();
if (files.length === 0) {
  // Selecting nothing is a mistake in the command line, not a green run.
  process.stderr.write(`no test files match ${JSON.stringify(args)}\n`);
  process.stdout.write(`\n${summary({ passed: 0, failed: 1, skipped: 0 })}\n`);
  process.exit(1);
}
const counts = { passed: 0, failed: 0, skipped: 0 };
const stream = run({ files, concurrency: 1, timeout: 40 * 60_000 });
stream.on("test:pass", (e) => countEvent(counts, "test:pass", e));
stream.on("test:fail", (e) => countEvent(counts, "test:fail", e));
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });
report.on("end", () => {
  process.stdout.write(`\n${summary(counts)}\n`);
  // A run in which nothing passed proves nothing.
  process.exitCode = counts.failed > 0 || counts.passed === 0 ? 1 : 0;
});
