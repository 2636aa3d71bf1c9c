// The smallest external driver on the lima-ts driver SDK: its "VM" is a timer that runs until
// Stop. A real driver starts its hypervisor in start() and reports the VM's exit on `errors`.
import { Channel, DriverBase, serve, type DriverInfo, type StartedVM } from "../../src/driver/sdk/index.js";

class HelloDriver extends DriverBase {
  private running?: { exited: Channel<Error>; timer: NodeJS.Timeout };

  async info(): Promise<DriverInfo> {
    const features = { dynamicSSHAddress: false, staticSSHPort: false, skipSocketForwarding: false, noCloudInit: false, rosettaEnabled: false, rosettaBinFmt: false };
    return { name: "hello", vsockPort: 0, virtioPort: "", instanceDir: this.instance?.dir, features };
  }

  async start(): Promise<StartedVM> {
    const exited = new Channel<Error>();
    this.running = { exited, timer: setInterval(() => process.stderr.write(`hello from ${this.inst.name}\n`), 60_000) };
    return { errors: exited };
  }

  async stop(): Promise<void> {
    clearInterval(this.running?.timer);
    this.running?.exited.close();
    this.running = undefined;
  }
}

await serve(new HelloDriver());
