// driver.proto as a protobufjs JSON descriptor, loaded with @grpc/proto-loader's fromJSON as the
// guest agent does: the bundles (limactl, dist/drivers/*) cannot read a .proto at run time, and
// a descriptor needs no code generation step nor a second protobuf runtime (@bufbuild/protobuf
// would add one next to the protobufjs that @grpc/grpc-js already brings for the guest agent).
// test/unit/driver/external-wire.test.ts checks that this equals driver.proto.
const EMPTY = "google.protobuf.Empty";
const call = (requestType: string, responseType: string) => ({ requestType, responseType });
const message = (fields: Record<string, string>) => ({
  fields: Object.fromEntries(Object.entries(fields).map(([name, type]) => [name, { type, id: 1 }])),
});

export const DRIVER_SERVICE_DESCRIPTOR = {
  nested: {
    google: { nested: { protobuf: { nested: { Empty: { fields: {} } } } } },
    Driver: {
      methods: {
        Validate: call(EMPTY, EMPTY),
        Create: call(EMPTY, EMPTY),
        CreateDisk: call(EMPTY, EMPTY),
        Start: { ...call(EMPTY, "StartResponse"), responseStream: true },
        Stop: call(EMPTY, EMPTY),
        Delete: call(EMPTY, EMPTY),
        BootScripts: call(EMPTY, "BootScriptsResponse"),
        RunGUI: call(EMPTY, EMPTY),
        ChangeDisplayPassword: call("ChangeDisplayPasswordRequest", EMPTY),
        GetDisplayConnection: call(EMPTY, "GetDisplayConnectionResponse"),
        CreateSnapshot: call("CreateSnapshotRequest", EMPTY),
        ApplySnapshot: call("ApplySnapshotRequest", EMPTY),
        DeleteSnapshot: call("DeleteSnapshotRequest", EMPTY),
        ListSnapshots: call(EMPTY, "ListSnapshotsResponse"),
        ForwardGuestAgent: call(EMPTY, "ForwardGuestAgentResponse"),
        GuestAgentConn: call(EMPTY, EMPTY),
        Configure: call("SetConfigRequest", "SetConfigResponse"),
        Info: call(EMPTY, "InfoResponse"),
        SSHAddress: call(EMPTY, "SSHAddressResponse"),
        AdditionalSetupForSSH: call(EMPTY, EMPTY),
      },
    },
    BootScriptsResponse: { fields: { scripts: { keyType: "string", type: "bytes", id: 1 } } },
    SSHAddressResponse: message({ address: "string" }),
    InfoResponse: message({ info_json: "bytes" }),
    StartResponse: { fields: { success: { type: "bool", id: 1 }, error: { type: "string", id: 2 } } },
    SetConfigRequest: message({ instance_config_json: "bytes" }),
    SetConfigResponse: message({ instance_config_json: "bytes" }),
    ChangeDisplayPasswordRequest: message({ password: "string" }),
    GetDisplayConnectionResponse: message({ connection: "string" }),
    CreateSnapshotRequest: message({ tag: "string" }),
    ApplySnapshotRequest: message({ tag: "string" }),
    DeleteSnapshotRequest: message({ tag: "string" }),
    ListSnapshotsResponse: message({ snapshots: "string" }),
    ForwardGuestAgentResponse: message({ should_forward: "bool" }),
  },
};
