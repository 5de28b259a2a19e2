import { describe, expect, it } from "vitest";
import { createProgress } from "../../cli/progress.js";

describe("createProgress", () => {
  it("draws a bar with the count and the rate on a terminal, and clears it when done", () => {
    let screen = "";
    const progress = createProgress({ isTTY: true, write: (text: string) => (screen += text) }, "snapshots");
    progress.update(1, 4);
    progress.update(4, 4);
    progress.done();
    expect(screen).toMatch(/^\rsnapshots \[#{8}-{22}\] 1\/4, \d+\/s\x1b\[K\rsnapshots \[#{30}\] 4\/4, \d+\/s\x1b\[K\r\x1b\[K$/);
  });
  it("writes nothing when not on a terminal", () => {
    let written = "";
    const progress = createProgress({ write: (text: string) => (written += text) }, "snapshots");
    progress.update(1, 2);
    progress.done();
    expect(written).toBe("");
  });
});
