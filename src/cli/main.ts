import path from "node:path";
import { VERSION } from "../version.js";

// A closed pipe (`limactl ls | head -1`) ends the output quietly, as it does for Go programs.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

// Fast path: `limactl --version` must not pay for loading every command.
const args = process.argv.slice(2);
const multiCall = path.basename(process.argv[1] ?? "").split(".")[0] === "yq";
if (!multiCall && args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  process.stdout.write(`limactl version ${VERSION}\n`);
} else if (multiCall || args[0] === "yq") {
  // yq multi-call: `yq ...` or `limactl yq ...` is the yq CLI itself, flags and all.
  const { runYq } = await import("./commands/yq.js");
  process.exitCode = await runYq(multiCall ? args : args.slice(1));
} else {
  const { runCLI } = await import("./root.js");
  await runCLI(process.argv);
}
