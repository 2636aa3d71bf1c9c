// `limactl snapshot list --quiet`: the tags column of qemu-img's and QEMU's snapshot tables.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { snapshotTags } from "../../../src/instance/snapshot.js";

// `qemu-img snapshot -l` (QEMU 7.2) after the driver removed its "Snapshot list:" line.
const QEMU_IMG_LIST = `ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT
1         one                   0 B 2026-11-30 21:59:46 00:00:00.000          0
2         two                   0 B 2026-11-30 21:59:46 00:00:00.000          0
`;

describe("snapshotTags", () => {
  it("takes the second column of every row after the header", () => {
    assert.deepEqual(snapshotTags(QEMU_IMG_LIST), ["one", "two"]);
  });

  it("gives nothing for an empty list or a header alone", () => {
    assert.deepEqual(snapshotTags(""), []);
    assert.deepEqual(snapshotTags("ID        TAG               VM SIZE                DATE     VM CLOCK     ICOUNT\n"), []);
  });

  it("refuses a table whose header is not QEMU's, as Lima does", () => {
    assert.throws(() => snapshotTags("NAME SIZE\nx 1\n"), /^LimaError: unknown header: NAME SIZE$/);
  });
});
