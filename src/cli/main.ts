import { VERSION } from "../version.js";

// Fast path: `limactl --version` must not pay for loading every command.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`limactl version ${VERSION}\n`);
} else {
  const { runCLI } = await import("./root.js");
  await runCLI(process.argv);
}
