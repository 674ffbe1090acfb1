// The server's logger. Lines are written asynchronously in batches of 4 KB, so a request never
// waits on the disk (STYLE.md principle 9), but none is held for long: a warning or error is
// written out at once (an operator reads those when something is wrong: a refused config reload,
// an upstream down) and anything else within a second. Before the timer, a quiet server kept its
// lines until 4 KB had gathered or it exited.
import pino, { type Logger } from 'pino';
import { LOG_REDACT_PATHS } from '../auth/redaction.js';

/** Bytes gathered before a write, when no timer or warning comes first. */
const BATCH_BYTES = 4096;
/** The longest a line below warn waits in the buffer. */
export const LOG_FLUSH_MS = 1000;

export interface LoggerOptions {
  level: string;
  /** A stream to write to instead (tests inspect it); written as pino writes any stream. */
  stream?: NodeJS.WritableStream;
  /** File path or descriptor; standard output by default. */
  dest?: string | number;
  /** How often buffered lines are written out; 0 turns the timer off (tests). */
  flushEveryMs?: number;
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = { level: opts.level, redact: LOG_REDACT_PATHS };
  if (opts.stream) return pino(base, opts.stream);
  // sonic-boom's own timer: an unref'd interval (it never keeps the process alive) that writes the
  // buffer out, or waits for the next tick when a write is already under way; pino registers the
  // destination to be flushed synchronously when the process exits. An idle tick costs one empty
  // write, which is simpler and sturdier than re-arming a timer per line.
  const destination = pino.destination({
    dest: opts.dest ?? 1,
    sync: false,
    minLength: BATCH_BYTES,
    periodicFlush: opts.flushEveryMs ?? LOG_FLUSH_MS,
  });
  // flush() without a callback starts an asynchronous write (no fsync, no listener), but does
  // nothing while a write is under way: a warning logged then is written once that write has
  // drained (one empty write more when it was not needed).
  let owed = false;
  destination.on('drain', () => {
    if (!owed) return;
    owed = false;
    destination.flush();
  });
  const warn = pino.levels.values.warn!;
  return pino(
    {
      ...base,
      hooks: {
        // Children (Fastify's request loggers) share the hook.
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level < warn) return;
          owed = true;
          destination.flush();
        },
      },
    },
    destination,
  );
}
