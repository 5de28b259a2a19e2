interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const BAR_WIDTH = 30;

/** A progress bar with a rate, redrawn at most every 100 ms on a terminal; nothing otherwise. */
export function createProgress(stream: { write(text: string): unknown; isTTY?: boolean }, label: string): Progress {
  if (!stream.isTTY) return { update() {}, done() {} };
  const started = performance.now();
  let drawn = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = performance.now();
      if (now - drawn < 100 && done < total) return;
      drawn = now;
      shown = true;
      const rate = done / Math.max((now - started) / 1000, 1e-3);
      const filled = total ? Math.round((BAR_WIDTH * done) / total) : BAR_WIDTH;
      stream.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${done}/${total}, ${Math.round(rate)}/s\x1b[K`);
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
    },
  };
}
