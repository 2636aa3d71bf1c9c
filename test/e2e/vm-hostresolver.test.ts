// One real guest whose DNS goes through the host agent's resolver: hostResolver.hosts names and
// aliases resolve in the guest, and the guest's queries really take the LIMADNS DNAT rules.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createAndStart, ensureGuestImage, GUEST_TEMPLATE } from "../helpers/guest.js";
import { EXTERNAL_QEMU_ENV, LimaHome } from "../helpers/limactl.js";

// Not about QEMU itself: through the external lima-driver-qemu, as vm-portfwd.
const home = new LimaHome(EXTERNAL_QEMU_ENV);
const NAME = "dns";
const tmp = mkdtempSync(path.join(os.tmpdir(), "lima-dns-"));

async function guest(script: string): Promise<string> {
  const res = await home.limactl(["shell", NAME, "sh", "-c", script]);
  assert.equal(res.code, 0, `${script}: ${res.stderr}`);
  return res.stdout;
}

describe("the host resolver in a real guest", { timeout: 30 * 60_000 }, () => {
  before(async () => {
    ensureGuestImage();
    const yaml = path.join(tmp, "dns.yaml");
    writeFileSync(yaml, `base: ${GUEST_TEMPLATE}\nhostResolver:\n  hosts:\n    myhost.example: 10.1.2.3\n    alias.example: myhost.example\n`);
    await createAndStart(home, NAME, yaml);
  });
  after(async () => {
    await home.limactl(["delete", "-f", NAME]);
    home.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("hands the resolver's ports to the guest, which DNATs 192.168.5.3:53 to them", async () => {
    const env = readFileSync(path.join(home.dir, NAME, "cidata.iso"), "latin1");
    const udp = /LIMA_CIDATA_UDP_DNS_LOCAL_PORT=(\d+)/.exec(env)?.[1];
    const tcp = /LIMA_CIDATA_TCP_DNS_LOCAL_PORT=(\d+)/.exec(env)?.[1];
    assert.ok(udp && tcp && udp !== "0" && tcp !== "0", `ports ${udp} ${tcp}`);
    const rules = await guest("sudo iptables -t nat -S");
    assert.match(rules, new RegExp(`^-A LIMADNS -d 192\\.168\\.5\\.3/32 -p udp -m udp --dport 53 -j DNAT --to-destination 192\\.168\\.5\\.2:${udp}$`, "m"));
    assert.match(rules, new RegExp(`^-A LIMADNS -d 192\\.168\\.5\\.3/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 192\\.168\\.5\\.2:${tcp}$`, "m"));
    assert.match(rules, /^-A OUTPUT -j LIMADNS$/m);
    // systemd-resolved (the Debian guest) lists its upstream servers per link; else resolv.conf.
    const servers = await guest("if command -v resolvectl >/dev/null; then resolvectl dns; else cat /etc/resolv.conf; fi");
    assert.match(servers, /(^nameserver |: )192\.168\.5\.3( |$)/m);
  });

  it("resolves hostResolver.hosts names and aliases, through the LIMADNS rule", async () => {
    const packets = async (): Promise<number> => {
      const line = (await guest("sudo iptables -t nat -L LIMADNS -v -n -x")).split("\n").find((l) => / udp dpt:53 /.test(l));
      return Number(line?.trim().split(/\s+/)[0]);
    };
    const before = await packets();
    assert.equal((await guest("getent hosts myhost.example")).trim().split(/\s+/)[0], "10.1.2.3");
    assert.equal((await guest("getent hosts alias.example")).trim().split(/\s+/)[0], "10.1.2.3");
    assert.ok((await packets()) > before, "the guest's DNS queries went through LIMADNS");
  });

  it("answers host.lima.internal from the host resolver, not only from /etc/hosts", async () => {
    // 06-etc-hosts.sh writes the name into /etc/hosts; without that line only DNS can answer.
    const out = await guest("sudo sed -i '/host\\.lima\\.internal/d' /etc/hosts && getent hosts host.lima.internal");
    assert.equal(out.trim().split(/\s+/)[0], "192.168.5.2");
  });
});
