import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'training/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll without a timeout of its own waits this long, not vitest's 1 s, which a loaded
    // two-core CI machine can stall past: it only bounds how long a failure takes to show.
    // (vi.waitFor has no such setting: tests call test/helpers/wait-for.ts, which gives it as long.)
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    isolate: false,
    // Vitest's default is one worker fewer than the cores: one on CI's two, where most suites wait
    // on sockets, spawned servers, PostgreSQL and Redis rather than compute. Two there ran the
    // suite's files in 388 s against ~540 s (2026-12-06; every suite keeps its own ports, schemas
    // and key prefixes, so files may run side by side).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
  },
});
