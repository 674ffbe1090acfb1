// A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise).
export function progressBar(label: string): {
  update(done: number, total: number, step: string): void;
  done(): void;
} {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return {
    update(done, total, step) {
      const frac = total ? done / total : 1;
      const width = 30;
      const filled = Math.round(frac * width);
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(frac * 100)}% ${step}`;
      if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
      else if (Math.floor(frac * 10) !== lastDecile) {
        lastDecile = Math.floor(frac * 10);
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}
