import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ExecuteTemplateOptions,
  type FieldResolver,
  TemplateError,
  executeTemplate,
  parseTemplate,
} from "../../../src/gotmpl/index.js";

function render(text: string, data: unknown = {}, options: ExecuteTemplateOptions = {}): string {
  return executeTemplate(text, data, options);
}

/** Asserts a TemplateError with exactly Go's message. */
function assertTemplateError(text: string, data: unknown, message: string, options: ExecuteTemplateOptions = {}): void {
  assert.throws(
    () => render(text, data, { name: "format", ...options }),
    (err: unknown) => {
      assert.ok(err instanceof TemplateError, `expected TemplateError, got ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

describe("gotmpl: text, trimming and comments", () => {
  it("copies text and substitutes fields", () => {
    assert.equal(render("{{.Name}} {{.Status}}", { Name: "default", Status: "Running" }), "default Running");
  });

  it("trims whitespace, including newlines, around {{- and -}}", () => {
    assert.equal(render("a \n\t {{- 23 -}} \n < {{- 45}}"), "a23<45");
    assert.equal(render("x\n{{- if true }}\n  y\n{{- end }}\n"), "x\n  y\n");
  });

  it("parses {{-3}} as the number -3, not a trim marker", () => {
    assert.equal(render("a {{-3}}"), "a -3");
  });

  it("drops comments, honouring trim markers on them", () => {
    assert.equal(render("a{{/* note */}}b {{- /* x\ny */ -}} c"), "abc");
  });

  it("allows actions to span lines", () => {
    assert.equal(render("{{ if\n .A }}yes{{\nend }}", { A: true }), "yes");
  });
});

describe("gotmpl: literals and printing", () => {
  it("decodes Go string escapes, raw strings and character constants", () => {
    assert.equal(render('{{"a\\tb\\u00e9\\x41\\101"}}'), "a\tbéAA");
    assert.equal(render("{{`raw\\n`}}"), "raw\\n");
    assert.equal(render("{{'a'}} {{'\\n'}}"), "97 10");
  });

  it("parses hex, octal, binary and underscore numbers", () => {
    assert.equal(render("{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}"), "31 15 15 5 1000");
  });

  it("prints booleans, integers and floats like fmt %v", () => {
    assert.equal(render("{{true}} {{42}} {{1.5}} {{0.000001}} {{.F}}", { F: 1234567.5 }), "true 42 1.5 1e-06 1.2345675e+06");
  });

  it("prints slices as [a b] and maps as map[k:v] with sorted keys", () => {
    const data = { L: ["a", 1, true], M: { b: 2, a: "x", c: [1, 2] }, E: [] };
    assert.equal(render("{{.L}} {{.M}} {{.E}}", data), "[a 1 true] map[a:x b:2 c:[1 2]] []");
  });

  it("prints nil as <nil> and a missing value as <no value>", () => {
    assert.equal(render("{{.N}}|{{.}}", { N: null }), "<nil>|map[N:<nil>]");
    assert.equal(render("{{.}}", null), "<no value>");
    assert.equal(render("{{.Absent}}", {}), "<no value>");
  });

  it("refuses to print a function, quoting the whole action like Go", () => {
    const message = 'template: format:1:2: executing "format" at <{{.F}}>: can\'t print {{.F}} of type func(...interface {}) interface {}';
    assertTemplateError("{{.F}}", { F: () => 1 }, message);
  });
});

describe("gotmpl: fields, maps and variables", () => {
  it("follows chained fields and variable fields", () => {
    const data = { Config: { User: { Name: "alice" } } };
    assert.equal(render("{{.Config.User.Name}} {{$c := .Config}}{{$c.User.Name}} {{$.Config.User.Name}}", data), "alice alice alice");
  });

  it("reads JS Map values by key", () => {
    assert.equal(render("{{.M.k}} {{index .M \"k\"}}", { M: new Map([["k", "v"]]) }), "v v");
  });

  it("reads fields of a parenthesised pipeline", () => {
    assert.equal(render("{{(index .L 0).Name}}", { L: [{ Name: "first" }] }), "first");
  });

  it("declares and assigns variables; assignments reach outer scopes", () => {
    assert.equal(render("{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}"), "2");
  });

  it("scopes variables declared inside a block to that block", () => {
    assert.throws(() => render("{{if true}}{{$y := 3}}{{end}}{{$y}}"), /undefined variable "\$y"/);
  });

  it("binds $ to the root data, also inside range and with", () => {
    assert.equal(render("{{range .L}}{{$.P}}{{.}} {{end}}", { L: [1, 2], P: "#" }), "#1 #2 ");
  });

  it("calls function-valued struct fields as methods with arguments", () => {
    const data = { Add: (a: unknown, b: unknown) => Number(a) + Number(b) };
    assert.equal(render("{{.Add 1 2}}", data, { typeName: "T" }), "3");
  });
});

describe("gotmpl: control structures", () => {
  it("handles nested if / else if / else", () => {
    const tmpl = parseTemplate("t", '{{if eq .x "a"}}A{{else if eq .x "b"}}B{{else if .y}}Y{{else}}N{{end}}');
    assert.deepEqual(
      [{ x: "a" }, { x: "b" }, { x: "c", y: 1 }, { x: "c" }].map((d) => tmpl.execute(d)),
      ["A", "B", "Y", "N"],
    );
  });

  it("uses Go truthiness: zero, empty string/slice/map and nil are false", () => {
    const values = [false, 0, 0.0, "", [], {}, null, undefined, true, 1, -1, "x", [0], { a: 0 }];
    const out = values.map((v) => render("{{if .V}}T{{else}}F{{end}}", { V: v })).join("");
    assert.equal(out, "FFFFFFFFTTTTTT");
  });

  it("ranges over slices with index and element variables", () => {
    assert.equal(render("{{range $i, $e := .}}{{$i}}={{$e}} {{end}}", ["a", "b"]), "0=a 1=b ");
  });

  it("ranges over maps in sorted key order", () => {
    assert.equal(render("{{range $k, $v := .}}{{$k}}:{{$v}},{{end}}", { zeta: 1, alpha: 2, mid: 3 }), "alpha:2,mid:3,zeta:1,");
    assert.equal(render("{{range .}}{{.}}{{end}}", { b: "2", a: "1" }), "12");
  });

  it("runs the range else branch for empty or missing collections", () => {
    assert.equal(render("{{range .L}}x{{else}}empty{{end}}", { L: [] }), "empty");
    assert.equal(render("{{range .Missing}}x{{else}}none{{end}}", {}), "none");
  });

  it("supports break and continue in range", () => {
    const tmpl = "{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}";
    assert.equal(render(tmpl, [1, 2, 3, 4, 5]), "13");
  });

  it("ranges over an integer (Go 1.22+)", () => {
    assert.equal(render("{{range 3}}{{.}}{{end}}"), "012");
  });

  it("with sets dot, and supports else with / else", () => {
    const tmpl = parseTemplate("t", "{{with .A}}a={{.}}{{else with .B}}b={{.}}{{else}}none{{end}}");
    assert.deepEqual([{ A: 1 }, { B: 2 }, {}].map((d) => tmpl.execute(d)), ["a=1", "b=2", "none"]);
  });

  it("define, template and block share one set; template gets its own $", () => {
    const text = '{{define "item"}}[{{.}}|{{$}}]{{end}}{{template "item" .A}}{{block "b" .B}}<{{.}}>{{end}}{{template "item"}}';
    assert.equal(render(text, { A: 1, B: 2 }), "[1|1]<2>[<no value>|<no value>]");
    assert.deepEqual(parseTemplate("main", text).templateNames(), ["b", "item", "main"]);
  });
});

describe("gotmpl: builtin functions", () => {
  it("and/or short-circuit and return the deciding value", () => {
    assert.equal(render('{{and 1 0 "x"}} {{and 1 "x"}} {{or 0 "" "y"}} {{or 0 ""}}'), "0 x y ");
    // The second operand would fail if evaluated.
    assert.equal(render("{{or 1 (index .L 9)}} {{and 0 (index .L 9)}}", { L: [] }), "1 0");
  });

  it("not, len (bytes of strings), index and slice", () => {
    const data = { S: "héllo", L: [10, 20, 30], M: { k: "v" } };
    assert.equal(render("{{not 0}} {{len .S}} {{len .L}} {{len .M}}", data), "true 6 3 1");
    assert.equal(render('{{index .L 1}} {{index .M "k"}} {{slice .L 1 3}} {{slice .S 0 1}}', data), "20 v [20 30] h");
  });

  it("eq with several arguments, ne, lt, le, gt, ge", () => {
    assert.equal(render('{{eq 1 2 3 1}} {{eq "a" "b"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}'), "true false true true true true false");
  });

  it("eq treats a missing map value like nil instead of failing", () => {
    assert.equal(render('{{if eq .Param.x "y"}}Y{{else}}N{{end}}', { Param: {} }), "N");
  });

  it("print, println and pipeline arguments", () => {
    assert.equal(render('{{print 1 2 "a" 3 "b" "c"}}|{{println "x" 1}}|{{.N | print "n="}}', { N: 5 }), "1 2a3bc|x 1\n|n=5");
  });

  it("print passes nil for a missing value", () => {
    assert.equal(render("{{print .Missing}}", {}), "<nil>");
  });

  it("html, js and urlquery escape like Go", () => {
    assert.equal(render(`{{html "<a href='x'>&"}}`), "&lt;a href=&#39;x&#39;&gt;&amp;");
    assert.equal(render(`{{js "it's <b>\\"q\\" a=b"}}`), "it\\'s \\u003Cb\\u003E\\\"q\\\" a\\u003Db");
    assert.equal(render('{{urlquery "a b&c/é"}}'), "a+b%26c%2F%C3%A9");
  });

  it("call invokes a function value", () => {
    assert.equal(render("{{call .F 2 3}}", { F: (a: unknown, b: unknown) => Number(a) * Number(b) }), "6");
  });

  it("caller functions override builtins and receive piped values last", () => {
    const funcs = { len: () => "custom", wrap: (a: unknown, b: unknown) => `${a}(${b})` };
    assert.equal(render('{{len .}} {{"x" | wrap "f"}}', [1], { funcs }), "custom f(x)");
  });
});

describe("gotmpl: printf", () => {
  const cases: [string, string][] = [
    ['{{printf "%s|%5s|%-5s|%.2s" "a" "b" "c" "xyz"}}', "a|    b|c    |xy"],
    ['{{printf "%d|%5d|%-4d|%05d|%+d|%x|%X|%#x|%o|%b" 7 42 3 -42 5 255 255 255 8 5}}', "7|   42|3   |-0042|+5|ff|FF|0xff|10|101"],
    ['{{printf "%f|%.2f|%8.3f|%e|%g|%g" 3.5 3.14159 2.5 1234.5678 0.00001234 100000.5}}', "3.500000|3.14|   2.500|1.234568e+03|1.234e-05|100000.5"],
    ['{{printf "%v|%v|%v|%t|%q|%q|%c|%U" .L .M nil true "a\\"b" 65 65 65}}', '[a b]|map[a:1 b:2]|<nil>|true|"a\\"b"|\'A\'|A|U+0041'],
    ['{{printf "%x|%T|%T|%T|%%" "hi" 1 "s" .L}}', "6869|int|string|[]interface {}|%"],
  ];
  for (const [text, expected] of cases) {
    it(`formats ${text}`, () => {
      assert.equal(render(text, { L: ["a", "b"], M: { b: 2, a: 1 } }), expected);
    });
  }

  it("reports wrong types, missing and extra operands like Go", () => {
    assert.equal(render('{{printf "%d %s %t" "x" 5 1}}'), "%!d(string=x) %!s(int=5) %!t(int=1)");
    assert.equal(render('{{printf "%d %d" 1}}'), "1 %!d(MISSING)");
    assert.equal(render('{{printf "%d" 1 "a" 2}}'), '1%!(EXTRA string=a, int=2)');
    assert.equal(render('{{printf "%s" nil}}'), "%!s(<nil>)");
  });

  it("supports * width and precision", () => {
    assert.equal(render('{{printf "%*d|%.*f" 4 7 1 2.25}}'), "   7|2.2");
  });
});

describe("gotmpl: parse errors", () => {
  const cases: [string, string][] = [
    ["{{.Name", "template: format:1: unclosed action"],
    ["{{.Name }", 'template: format:1: unexpected "}" in operand'],
    ["{{.Name}", "template: format:1: bad character U+007D '}'"],
    ["{{foo .Name}}", 'template: format:1: function "foo" not defined'],
    ["{{if .X}}abc", "template: format:1: unexpected EOF"],
    ["a\n{{range .L}}\nb", "template: format:3: unexpected EOF"],
    ["{{.X\n", "template: format:2: unclosed action started at format:1"],
    ["{{end}}", "template: format:1: unexpected {{end}}"],
    ["{{else}}", "template: format:1: unexpected {{else}}"],
    ["{{}}", "template: format:1: missing value for command"],
    ["{{if}}x{{end}}", "template: format:1: missing value for if"],
    ["{{$x}}", 'template: format:1: undefined variable "$x"'],
    ["{{break}}", "template: format:1: {{break}} outside {{range}}"],
    ["{{1 | 2}}", "template: format:1: non executable command in pipeline stage 2"],
    ['{{"abc}}', "template: format:1: unterminated quoted string"],
    ["{{/* x */ }}", "template: format:1: comment ends before closing delimiter"],
    ["{{(.X}}", "template: format:1: unclosed left paren"],
    ["{{.X)}}", 'template: format:1: unexpected ")" in command'],
    ["{{range .}}{{else if .X}}{{end}}", "template: format:1: unexpected <if> in input"],
    ['{{with .X}}{{else}}{{else}}{{end}}', "template: format:1: expected end; found {{else}}"],
    ['{{define "a"}}x{{end}}{{define "a"}}y{{end}}', 'template: format:1: template: multiple definition of template "a"'],
    ['{{"x".Y}}', 'template: format:1: unexpected . after term "\\"x\\""'],
  ];
  for (const [text, message] of cases) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseTemplate("format", text),
        (err: unknown) => err instanceof TemplateError && err.phase === "parse" && err.message === message,
      );
    });
  }
});

describe("gotmpl: execution errors", () => {
  it("reports an unknown field of the root struct with its Go type (limactl list --format)", () => {
    assertTemplateError(
      "{{.Unknown}}",
      { Name: "x" },
      'template: format:1:2: executing "format" at <.Unknown>: can\'t evaluate field Unknown in type store.FormatData',
      { typeName: "store.FormatData" },
    );
  });

  it("reports line and 0-based column on later lines, at the last field of a chain", () => {
    assertTemplateError(
      "{{.A}}\n  {{.A.B}}",
      { A: "s" },
      'template: format:2:6: executing "format" at <.A.B>: can\'t evaluate field B in type string',
    );
  });

  it("wraps function failures as `error calling NAME`", () => {
    assertTemplateError("{{index .L 5}}", { L: [1] }, 'template: format:1:2: executing "format" at <index .L 5>: error calling index: index out of range: 5');
    assertTemplateError('{{lt 1 "a"}}', {}, 'template: format:1:2: executing "format" at <lt 1 "a">: error calling lt: incompatible types for comparison');
    const funcs = {
      boom: () => {
        throw new Error("kaput");
      },
    };
    assertTemplateError("{{.X | boom}}", { X: 1 }, 'template: format:1:7: executing "format" at <boom>: error calling boom: kaput', { funcs });
  });

  it("checks builtin argument counts", () => {
    assertTemplateError("{{not}}", {}, 'template: format:1:2: executing "format" at <not>: wrong number of args for not: want 1 got 0');
    assertTemplateError("{{1 | ne 2 3}}", {}, 'template: format:1:6: executing "format" at <ne>: wrong number of args for ne: want 2 got 3');
  });

  it("rejects arguments to non-functions and nil commands", () => {
    assertTemplateError("{{. 1}}", {}, 'template: format:1:2: executing "format" at <.>: can\'t give argument to non-function .');
    assertTemplateError("{{nil}}", {}, 'template: format:1:2: executing "format" at <nil>: nil is not a command');
  });

  it("reports fields of nil and ranging over non-collections", () => {
    assertTemplateError("{{.a.b}}", { a: null }, 'template: format:1:4: executing "format" at <.a.b>: nil pointer evaluating interface {}.b');
    assertTemplateError("{{range .}}{{end}}", "str", 'template: format:1:8: executing "format" at <.>: range can\'t iterate over str');
  });

  it("names the executing defined template and reports undefined templates", () => {
    assertTemplateError('{{define "x"}}{{.Q}}{{end}}{{template "x" 1}}', {}, 'template: format:1:16: executing "x" at <.Q>: can\'t evaluate field Q in type int');
    assertTemplateError('{{template "nope"}}', {}, 'template: format:1:11: executing "format" at <{{template "nope"}}>: template "nope" not defined');
  });

  it("uses an empty name by default, as Lima's textutil.ExecuteTemplate does", () => {
    assert.throws(() => executeTemplate("{{len 1}}", {}), { message: 'template: :1:2: executing "" at <len 1>: error calling len: len of type int' });
  });
});

describe("gotmpl: options", () => {
  const instance = { name: "default", sshLocalPort: 60022, vmType: "qemu", param: { x: "y" } };
  const goNames: Record<string, string> = { Name: "name", SSHLocalPort: "sshLocalPort", VMType: "vmType", Param: "param" };
  const resolver: FieldResolver = (obj, name) => {
    if (obj !== instance) return undefined;
    const key = goNames[name];
    return key === undefined ? { found: false, typeName: "store.FormatData" } : { found: true, value: instance[key as keyof typeof instance] };
  };

  it("maps Go field names through fieldResolver and treats unresolved objects as maps", () => {
    assert.equal(render("{{.Name}}:{{.SSHLocalPort}} {{.VMType}} {{.Param.x}}", instance, { fieldResolver: resolver }), "default:60022 qemu y");
  });

  it("errors for fields the resolver does not know", () => {
    assertTemplateError("{{.CPUs}}", instance, 'template: format:1:2: executing "format" at <.CPUs>: can\'t evaluate field CPUs in type store.FormatData', {
      fieldResolver: resolver,
    });
  });

  it("missingKey selects <no value>, the zero value or an error for absent map keys", () => {
    const data = { Param: { a: "1" } };
    assert.equal(render("[{{.Param.b}}]", data), "[<no value>]");
    assert.equal(render("[{{.Param.b}}]", data, { missingKey: "zero" }), "[]");
    assertTemplateError("{{.Param.b}}", data, 'template: format:1:8: executing "format" at <.Param.b>: map has no entry for key "b"', { missingKey: "error" });
  });

  it("index of an absent key yields the empty string (map[string]string zero)", () => {
    assert.equal(render('[{{index .Param "nope"}}]', { Param: {} }), "[]");
  });

  it("parsed templates can be executed repeatedly with different data", () => {
    const tmpl = parseTemplate("format", "{{.Name}}", {}, { typeName: "store.FormatData" });
    assert.equal(tmpl.execute({ Name: "a" }), "a");
    assert.equal(tmpl.execute({ Name: "b" }), "b");
    assert.throws(() => tmpl.execute({}), /can't evaluate field Name in type store.FormatData/);
  });
});
