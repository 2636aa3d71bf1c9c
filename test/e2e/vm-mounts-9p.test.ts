// 9p mounts in a real guest. Debian's cloud kernel has no 9p, so this guest boots the generic
// kernel the guest image also carries (vmlinuz-generic).
import { describeMounts } from "../helpers/mountsuite.js";
import { expectedGuestUser, guestImagesYaml } from "../helpers/guest.js";

describeMounts({
  mountType: "9p",
  name: "ninep",
  extraYaml: guestImagesYaml("generic"),
  // securityModel `none` passes the guest user's uid through: a non-root host user's QEMU cannot
  // chown, so its files stay that user's; a root QEMU gives them the guest user's uid (`lima`, 1000).
  hostOwner: () => (process.getuid?.() === 0 ? expectedGuestUser().uid : (process.getuid?.() ?? 0)),
  rwDirOwner: () => expectedGuestUser().uid,
});
