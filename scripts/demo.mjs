// `npm run demo`: build the test guest image if missing, start an instance `demo` from it and run
// `uname -a` inside. The instance is left running: `./bin/limactl shell demo` opens a shell.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const limactl = path.join(repo, "bin", "limactl");

function run(cmd, args, { allowFail = false } = {}) {
  console.error(`+ ${[cmd, ...args].join(" ")}`);
  const res = spawnSync(cmd, args, { stdio: "inherit", cwd: repo });
  if (res.status !== 0 && !allowFail) process.exit(res.status ?? 1);
  return res.status;
}

run("bash", [path.join(repo, "scripts", "install-deps.sh")]);
// The image is system-wide and only root can build it; a user who is not root builds it once with sudo.
const buildImage = path.join(repo, "scripts", "guest-image", "build.sh");
if (run("bash", [buildImage], { allowFail: process.getuid?.() !== 0 }) !== 0) run("sudo", ["bash", buildImage]);
const exists = spawnSync(limactl, ["list", "-q", "demo"], { encoding: "utf8" }).stdout.trim() === "demo";
if (!exists) run(limactl, ["create", "--name", "demo", "--tty=false", "template:local-debian-12"]);
run(limactl, ["start", "--tty=false", "demo"]);
run(limactl, ["shell", "demo", "uname", "-a"]);
