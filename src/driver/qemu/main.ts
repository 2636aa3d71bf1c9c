// `lima-driver-qemu`: the QEMU driver as an external driver program (Lima: cmd/lima-driver-qemu),
// used instead of the internal one when LIMA_TS_EXTERNAL_DRIVERS=qemu.
import { serve } from "../sdk/index.js";
import { QemuDriver } from "./qemu.js";

await serve(new QemuDriver());
