// Why a file or directory a command writes (`--out`) could not be made, in words: the sibling of
// file-read-reason.ts. Node's own message repeats the path and its code ("ENOSPC: no space left
// on device, write"), where the commands' messages already name the file and the option.

/** Node's codes for writing a file or making a directory, as its docs explain them. */
const REASONS: Record<string, string> = {
  ENOENT: 'a file cannot be made there',
  ENOTDIR: 'a part of its path is a file',
  EISDIR: 'a directory stands there',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is too large for the file system',
};

/** `err` (from writeFileSync, renameSync, mkdirSync and the like) in a few words, else its code. */
export function fileWriteReason(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') return REASONS[code] ?? code;
  return (err as Error)?.message ?? String(err);
}
