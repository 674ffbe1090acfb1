// Fastify gives every request a child logger bound to its id (`reqId`). pino's `child` cost
// 17–26 µs when requests come a gap apart (docs/benchmarks.md "The cold request path"), on every
// request, while most requests log nothing. This factory gives each request a stand-in that makes
// the child at the request's first line: the line is the same, `reqId` and all.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type AnyLog = (...args: unknown[]) => void;

/** pino's check, when the logger has one (Fastify's null logger and test doubles may not). */
interface MaybePino extends FastifyBaseLogger {
  isLevelEnabled?(level: string): boolean;
}

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: MaybePino,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The real child, made once. */
  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private write(level: Level, args: unknown[]): void {
    // A line the child would drop makes no child: a child without its own level has its
    // parent's. (pino reads the level when the child is made; so does this, at the first line.)
    if (
      this.made === undefined &&
      this.options.level === undefined &&
      this.parent.isLevelEnabled?.(level) === false
    )
      return;
    (this.real()[level] as AnyLog)(...args);
  }

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a request's logger, made when it first writes a line. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
