// Runs every test file with node:test (TypeScript through tsx), prints the spec report and a
// closing `N passed, N failed` line. `--unit` skips the end-to-end tests that boot VMs.
// Other arguments filter the files by path fragment; an argument naming an existing file runs
// that file even outside test/ (the runner's own tests use that for their fixtures).
// Files that boot a guest run one after another (one TCG guest at a time); the rest run
// alongside them in a second lane, whose report is printed as one block when it is done.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
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
/** A file that boots the test guest (through the helpers every VM test uses). */
const bootsGuest = (file) => /\b(ensureGuestImage|describeMounts)\(/.test(readFileSync(file, "utf8"));

/** Runs `laneFiles` one at a time into `counts`; resolves when its report has been written to `out`. */
function runLane(laneFiles, counts, out) {
  return new Promise((resolve) => {
    const stream = run({ files: laneFiles, concurrency: 1, timeout: 40 * 60_000 });
    stream.on("test:pass", (e) => countEvent(counts, "test:pass", e));
    stream.on("test:fail", (e) => countEvent(counts, "test:fail", e));
    const report = stream.compose(spec);
    report.on("data", (chunk) => out(chunk));
    report.on("end", resolve);
  });
}

const counts = { passed: 0, failed: 0, skipped: 0 };
const vmFiles = files.filter(bootsGuest);
const otherFiles = files.filter((f) => !vmFiles.includes(f));
const live = (chunk) => process.stdout.write(chunk);
let buffered = "";
const lanes = [];
if (vmFiles.length > 0) lanes.push(runLane(vmFiles, counts, live));
if (otherFiles.length > 0) {
  // Alone, this lane prints as it goes; beside the VM lane, as one block so that reports do not interleave.
  const out = vmFiles.length > 0 ? (chunk) => (buffered += chunk) : live;
  lanes.push(
    runLane(otherFiles, counts, out).then(() => {
      if (buffered) process.stdout.write(`\n── ${otherFiles.length} test files without a guest (ran alongside) ──\n${buffered}── end of those ──\n\n`);
    }),
  );
}
await Promise.all(lanes);
process.stdout.write(`\n${summary(counts)}\n`);
process.exitCode = counts.failed > 0 || counts.passed === 0 ? 1 : 0;
