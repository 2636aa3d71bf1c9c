import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyKey, initialState, type MenuState, type MenuStep, parseKeys, renderMenu, visibleOptions } from "../../../src/cli/menu.js";

const CHOICES = ["Proceed", "Open an editor", "Choose another template", "Exit"];
const plainText = (lines: string[]): string[] => lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""));

/** Types `input` into a fresh menu; returns the final step. */
function type(options: readonly string[], input: string): MenuStep {
  let state: MenuState = initialState(options);
  for (const key of parseKeys(input)) {
    const step = applyKey(state, key);
    if (!("state" in step)) return step;
    state = step.state;
  }
  return { state };
}

describe("menu keys", () => {
  it("splits arrows, Enter, Ctrl-C and text arriving in one chunk", () => {
    assert.deepEqual(parseKeys("\x1b[B\x1bOAab\r\x03\x7f"), [
      { kind: "down" }, { kind: "up" }, { kind: "char", char: "a" }, { kind: "char", char: "b" }, { kind: "enter" }, { kind: "interrupt" }, { kind: "backspace" },
    ]);
    assert.deepEqual(parseKeys("\x1b[C\x1b"), [], "unknown escapes are dropped");
  });

  it("Enter chooses the highlighted entry; arrows wrap around", () => {
    assert.deepEqual(type(CHOICES, "\r"), { chosen: 0 });
    assert.deepEqual(type(CHOICES, "\x1b[B\x1b[B\r"), { chosen: 2 });
    assert.deepEqual(type(CHOICES, "\x1b[A\r"), { chosen: 3 });
  });

  it("a digit chooses at once in short lists", () => {
    assert.deepEqual(type(CHOICES, "4"), { chosen: 3 });
    const step = type(CHOICES, "7");
    assert.ok("state" in step && step.state.filter === "7", "out of range: typed as a filter");
  });

  it("typing filters (case-insensitive), Backspace widens again", () => {
    const many = ["alpine", "debian-12", "docker", "fedora", "podman", "ubuntu", "archlinux", "k8s", "opensuse", "rocky"];
    assert.deepEqual(type(many, "DOC\r"), { chosen: 2 });
    assert.deepEqual(type(many, "1"), { state: { options: many, filter: "1", cursor: 0 } }, "long lists take digits as text");
    assert.deepEqual(type(many, "do\x7f\x7fpod\r"), { chosen: 4 });
    assert.deepEqual(visibleOptions({ options: many, filter: "an", cursor: 0 }), [1, 4]);
    assert.ok("state" in type(many, "zzz\r"), "Enter with nothing visible chooses nothing");
  });

  it("Ctrl-C and Ctrl-D interrupt", () => {
    assert.deepEqual(type(CHOICES, "\x1b[B\x03"), { interrupted: true });
    assert.deepEqual(type(CHOICES, "\x04"), { interrupted: true });
  });
});

describe("menu drawing", () => {
  it("shows the question, its help and the options with the highlighted one marked", () => {
    assert.deepEqual(plainText(renderMenu("Creating an instance `x`", { options: CHOICES, filter: "", cursor: 1 })), [
      "? Creating an instance `x`  [Use arrows to move, 1-4 to choose, type to filter]",
      "  Proceed",
      "> Open an editor",
      "  Choose another template",
      "  Exit",
    ]);
  });

  it("shows one page of a long list, scrolled to keep the highlighted entry in view", () => {
    const options = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const lines = plainText(renderMenu("Choose a template", { options, filter: "", cursor: 9 }, 7));
    assert.equal(lines[0], "? Choose a template  [Use arrows to move, type to filter]");
    assert.deepEqual(lines.slice(1), ["  t3", "  t4", "  t5", "  t6", "  t7", "  t8", "> t9"]);
    assert.deepEqual(plainText(renderMenu("Q", { options, filter: "t1", cursor: 0 }, 7)).slice(1), ["> t1", "  t10", "  t11"]);
  });
});
