// Reloads the config file when it changes on disk. An invalid file is reported and ignored: the
// running config stays as it was. A file whose settings did not change (a comment edited, or
// another replica loaded the same file first) leaves the live config, admin changes and all.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ConfigService } from './config-service.js';
import { parseConfigText } from './load-config.js';
import { restartWarning } from './startup-only.js';

export function watchConfigFile(
  file: string,
  service: ConfigService,
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void },
  debounceMs = 200,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  const reload = async () => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      log.error(`config reload: cannot read ${file}: ${(err as Error).message}`);
      return;
    }
    if (text === lastText) return;
    lastText = text;
    try {
      const { config } = parseConfigText(text, file);
      // A file that says what was last loaded from a file must not undo live (admin) changes.
      const v = await service.loadFile(config, 'file', `reloaded ${basename(file)}`);
      log.info(
        v
          ? `config reload: applied ${file} as version ${v.version}`
          : `config reload: ${file} says what was last loaded from it; the live config is kept`,
      );
      const waiting = v && restartWarning(v.changes);
      if (waiting) log.warn(`config reload: ${waiting}`);
    } catch (err) {
      log.error(
        `config reload: ${file} rejected, keeping the running config: ${(err as Error).message}`,
      );
    }
  };
  // The text in force, read before watching: read asynchronously, it could land after an edit
  // made right after start-up and take the edit for the running config (the edit was then lost).
  try {
    lastText = readFileSync(file, 'utf8');
  } catch {
    // unreadable now: the first change event reads it
  }
  // Watch the folder: editors replace files by rename, which a file watch would lose.
  const watcher: FSWatcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
