// A CLI command's output streams captured, for tests that run a subcommand in process.
export function captureIo(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env },
    out,
    err,
    text: () => out.join(''),
    lines: () => out.join('').split('\n').filter(Boolean),
  };
}
