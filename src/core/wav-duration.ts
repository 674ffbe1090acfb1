// The length of a WAV file from its header: what a transcription of one cost when the reply does
// not say (and what the simulated transcription model "heard").

/** A WAV file's length in seconds from its header (`fmt ` and `data` chunks), or undefined. */
export function wavDurationSeconds(file: Buffer): number | undefined {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF') return undefined;
  if (file.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= file.length;) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 20 <= file.length) byteRate = file.readUInt32LE(at + 16);
    if (id === 'data')
      return byteRate ? Math.min(size, file.length - at - 8) / byteRate : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}
