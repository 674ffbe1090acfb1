// Why a file named on the command line could not be read, in words. Node's own message repeats the
// path and its code ("ENOENT: no such file or directory, open 'x'"; "EISDIR: illegal operation on
// a directory, read"), where the commands' messages already name the file and the option.

/** Node's codes for reading a file, as its docs explain them. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  ENOTDIR: 'a part of its path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links (a loop?)',
};

/** `err` (from readFileSync and the like) in a few words, else its message. */
export function fileReadReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && REASONS[code]) || (err as Error)?.message || String(err);
}
