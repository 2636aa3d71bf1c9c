// The bundled JSON descriptor must say exactly what guestservice.proto (Lima's wire contract) says.
import assert from "node:assert/strict";
import path from "node:path";
import { it } from "node:test";
import protobuf from "protobufjs";
import { GUEST_SERVICE_DESCRIPTOR } from "../../../src/guestagent/api/descriptor.js";
import { REPO } from "../../helpers/limactl.js";

it("descriptor.ts equals what protobufjs parses from guestservice.proto", () => {
  const root = new protobuf.Root();
  root.loadSync(path.join(REPO, "src/guestagent/api/guestservice.proto"), { keepCase: true });
  const { options, ...parsed } = root.toJSON() as { options?: unknown; nested?: unknown };
  assert.deepEqual(options, { go_package: "github.com/lima-vm/lima/v2/pkg/guestagent/api" });
  assert.deepEqual(JSON.parse(JSON.stringify(GUEST_SERVICE_DESCRIPTOR)), parsed);
});
