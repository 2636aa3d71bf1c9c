import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TemplateError, executeTemplate, parseTemplate } from "../../../src/gotmpl/index.js";
import { goJSONMarshal, goJSONString, indentString, limaFuncs, prefixString } from "../../../src/gotmpl/limafuncs.js";

function render(text: string, data: unknown): string {
  return executeTemplate(text, data, { name: "format", funcs: limaFuncs });
}

// Lima's own table (pkg/textutil TestTemplateFuncs) uses this record.
const record = { foo: 42, bar: "hello", message: "One\nTwo\nThree" };

describe("limaFuncs: json", () => {
  it("{{json .}} writes compact JSON in key insertion order", () => {
    assert.equal(render("{{json .}}", record), '{"foo":42,"bar":"hello","message":"One\\nTwo\\nThree"}');
  });

  it("encodes nested values, nil and omits undefined members", () => {
    const data = { name: "vm", list: [1, "a", null, true], nested: { z: 1.5, skip: undefined }, empty: {} };
    assert.equal(render("{{json .}}", data), '{"name":"vm","list":[1,"a",null,true],"nested":{"z":1.5},"empty":{}}');
  });

  it("does not HTML-escape (Lima's encoder sets SetEscapeHTML(false)); json.Marshal mode does", () => {
    assert.equal(render("{{json .}}", { s: "<a>&" }), '{"s":"<a>&"}');
    assert.equal(goJSONMarshal({ s: "<a>&" }, { escapeHTML: true }), '{"s":"\\u003ca\\u003e\\u0026"}');
  });

  it("escapes strings like Go's encoding/json", () => {
    assert.equal(goJSONString('q"\\\b\f\n\r\t\x01\u2028é'), '"q\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u2028é"');
  });

  it("sorts the keys of Map values, as Go does for maps", () => {
    assert.equal(goJSONMarshal(new Map([["b", 1], ["a", 2]])), '{"a":2,"b":1}');
  });

  it("fails on NaN with Lima's message", () => {
    assert.throws(
      () => render("{{json .}}", Number.NaN),
      (err: unknown) =>
        err instanceof TemplateError &&
        err.message ===
          'template: format:1:2: executing "format" at <json .>: error calling json: failed to marshal as JSON: NaN: json: unsupported value: NaN',
    );
  });
});

describe("limaFuncs: yaml", () => {
  it("prefixes --- and renders multi-line strings as block literals", () => {
    assert.equal(render("{{yaml .}}", record), "---\nfoo: 42\nbar: hello\nmessage: |-\n  One\n  Two\n  Three");
  });

  it("uses 2-space indentation and indentless sequences", () => {
    assert.equal(render("{{yaml .}}", { a: { b: ["x", "y"] } }), "---\na:\n  b:\n  - x\n  - y");
  });
});

describe("limaFuncs: indent and missing", () => {
  it("matches Lima's TestTemplateFuncs cases", () => {
    assert.equal(render('{{.bar}}{{"\\n"}}{{.message | missing "<no message>" | indent 2}}', record), "hello\n  One\n  Two\n  Three");
    assert.equal(render("{{.message | indent}}", record), "  One\n  Two\n  Three");
    assert.equal(render("{{.missing | missing}}", { missing: "" }), "<missing>");
  });

  it("indent leaves empty lines alone and takes an explicit size", () => {
    assert.equal(render('{{indent 4 "a\\n\\nb\\n"}}', {}), "    a\n\n    b\n");
    assert.equal(prefixString("- ", "foo\n\nbar\n"), "- foo\n\n- bar\n");
    assert.equal(indentString(2, ""), "");
  });

  it("missing returns the text when it is non-empty", () => {
    assert.equal(render('{{missing "none" "text"}} {{missing ""}}', {}), "text <missing>");
  });

  it("reports argument errors with Lima's wording", () => {
    const cases: [string, string][] = [
      ["{{indent}}", "function takes at least one string argument"],
      ['{{indent 1 2 "x"}}', "function takes at most 2 arguments"],
      ['{{indent "x" "y"}}', "optional first argument must be an integer"],
      ["{{indent 2 3}}", "last argument must be a string"],
      ['{{missing 1 "x"}}', "optional first argument must be a string"],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => render(text, {}), (err: unknown) => err instanceof TemplateError && err.message.endsWith(message), text);
    }
  });
});

describe("limactl list --format style rendering", () => {
  it("renders one line per instance with the Lima funcs", () => {
    const tmpl = parseTemplate("format", "{{.Name}}\t{{.Status}}\t{{printf \"%d\" .CPUs}}\t{{.Param.x | missing}}", limaFuncs, {
      typeName: "store.FormatData",
    });
    const instances = [
      { Name: "a", Status: "Running", CPUs: 4, Param: { x: "1" } },
      { Name: "b", Status: "Stopped", CPUs: 2, Param: { x: "" } },
    ];
    assert.deepEqual(instances.map((inst) => tmpl.execute(inst)), ["a\tRunning\t4\t1", "b\tStopped\t2\t<missing>"]);
  });
});
