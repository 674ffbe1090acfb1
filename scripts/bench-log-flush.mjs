// How long the request log's flush holds the event loop (docs/benchmarks.md "The request log off
// the event loop"): reads RECORDS records from a request log a router wrote (`KEEP=1 node
// scripts/bench-request-log.mjs full` keeps one: its requests.db), then ROUNDS times queues them in
// a build's RequestLog over a fresh SQLite file and flushes, timing the longest gap between two
// turns of the event loop while the flush runs (what a request in flight would wait) and the
// flush's whole time. The first round, which creates the tables, is not counted. THREAD=1 writes
// through the writer thread (the default where the process has more than one CPU), else on the
// loop. Prints one JSON line. Its scratch folder is removed.
// usage: node scripts/bench-log-flush.mjs <requests.db> [dist=./dist] [records=250] [rounds=20]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [rowsDb, dist = join(root, 'dist'), recordsArg = '250', roundsArg = '20'] =
  process.argv.slice(2);
if (!rowsDb) throw new Error('usage: bench-log-flush.mjs <requests.db> [dist] [records] [rounds]');
const distDir = resolve(dist);
const { createSqliteRequestStore } = await import(
  join(distDir, 'src/store/sql/sqlite-request-store.js')
);
const { RequestLog } = await import(join(distDir, 'src/store/request-log.js'));
const thread = process.env.THREAD === '1';

const source = createSqliteRequestStore(rowsDb, { writerThread: false });
const records = (await source.query(0)).slice(0, Number(recordsArg));
await source.close();
if (records.length === 0) throw new Error(`${rowsDb} holds no request records`);

const scratch = mkdtempSync(join(tmpdir(), 'logflush-'));
try {
  const log = new RequestLog(
    createSqliteRequestStore(join(scratch, 'requests.db'), { writerThread: thread }),
    {
      maxBuffer: 1_000_000,
      storeText: true,
      retentionDays: 3650,
      flushIntervalMs: 3_600_000,
      now: () => records[0].time,
    },
  );
  const gaps = [];
  const walls = [];
  for (let round = 0; round <= Number(roundsArg); round++) {
    for (const r of records) log.record({ ...r, requestId: `${r.requestId}-${round}` });
    let last = performance.now();
    let longest = 0;
    let flushing = true;
    const turn = () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      if (flushing) setImmediate(turn);
    };
    setImmediate(turn);
    const t0 = performance.now();
    await log.flush();
    const wall = performance.now() - t0;
    flushing = false;
    // The gap the flush's last piece left, up to its end.
    longest = Math.max(longest, performance.now() - last);
    if (round > 0) {
      gaps.push(longest);
      walls.push(wall);
    }
  }
  const q = (xs, p) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  console.log(
    JSON.stringify({
      dist: distDir,
      thread,
      records: records.length,
      rounds: gaps.length,
      longestGapMs: { median: +q(gaps, 0.5).toFixed(2), max: +Math.max(...gaps).toFixed(2) },
      flushMs: { median: +q(walls, 0.5).toFixed(2), max: +Math.max(...walls).toFixed(2) },
    }),
  );
  // After the line: a build before 2026-12-07's fix let the process exit while close() waited.
  await log.close();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
