/** `by_source` key: the first two `/`-segments of `source`. */
export function sourceGroup(source: string): string {
  return source.split('/').slice(0, 2).join('/');
}
