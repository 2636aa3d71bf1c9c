// lima-driver-libvirt: the libvirt driver as an external driver program (`npm run build` puts it in libexec/lima).
import { serve } from "../sdk/index.js";
import { LibvirtDriver } from "./libvirt.js";

await serve(new LibvirtDriver());
