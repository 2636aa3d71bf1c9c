// What nearly every command runs, bundled as one chunk: scripts/build.mjs makes each module the
// CLI loads with import() import this file too, so esbuild finds these modules reached from every
// entry point alike and emits them together, instead of one small chunk per combination of
// commands using them. Each ES module costs about a millisecond to load; `limactl shell` would
// otherwise load eighteen. Not for the stand-alone yq CLI, which needs none of it.
import "commander";
import "../log/logger.js";
import "../store/store.js";
import "../store/pidfile.js";
import "../util/errors.js";
import "../util/goquote.js";
import "../util/fsutil.js";
import "../sshutil/sshutil.js";
import "../sshutil/command.js";
import "../util/envfilter.js";
import "./flags.js";
import "./globals.js";
import "./instances.js";
