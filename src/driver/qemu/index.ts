// Registers the QEMU driver as the internal driver "qemu"; imported once at start-up.
import { registerInternal } from "../registry.js";
import { QemuDriver } from "./qemu.js";

export { QemuDriver } from "./qemu.js";

registerInternal({ name: "qemu", location: "internal", create: () => new QemuDriver() });
