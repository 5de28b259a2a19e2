import { describe, expect, it } from "vitest";
import { inertJson, inertText } from "../../../loaders/model/inert-text.js";

/** Every character a terminal acts on or reorders text by: C0, DEL, C1, and the bidirectional controls. */
const CONTROLS = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from({ length: 0x21 }, (_, n) => 0x7f + n),
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069],
].map((code) => String.fromCharCode(code));
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Clears the screen, sets the window's title, reverses what follows. */
const HOSTILE = "vo\u001b[2J\u001b]0;owned\u0007\u009b31m\u202eevil\u2066x\u2069\u007f\nnext";

describe("inertText", () => {
  it("writes each control character as \\xNN, each bidirectional control as \\uNNNN", () => {
    expect(inertText(HOSTILE)).toBe("vo\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202eevil\\u2066x\\u2069\\x7f\\x0anext");
    for (const char of CONTROLS) expect(inertText(char)).toMatch(/^\\(x[0-9a-f]{2}|u20[26][0-9a-f])$/);
  });

  it("leaves the rest as it is: text, accents, emoji, the neighbours of the ranges", () => {
    const plain = "ai4eosc vo.one ünï cödé ☃ 🦄 <b>\"'\\ \u00a0\u2029\u202f\u2065\u206a";
    expect(inertText(plain)).toBe(plain);
  });
});

describe("inertJson", () => {
  it("is valid JSON holding the exact strings, with no control character written raw", () => {
    const value = { namespaces: { [HOSTILE]: { jobs: 1 } }, all: CONTROLS.join("") };
    const json = inertJson(value);
    expect(json).not.toMatch(ANY_CONTROL);
    expect(JSON.parse(json)).toEqual(value);
    expect(json).toContain("\\u202eevil\\u2066x\\u2069\\u007f\\nnext");
    expect(JSON.parse(inertJson(value, 2))).toEqual(value);
  });
});
