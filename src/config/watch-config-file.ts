// Reloads the config file when it changes on disk. An invalid file is reported and ignored: the
// running config stays as it was. A file whose settings did not change (a comment edited, or
// another replica loaded the same file first) leaves the live config, admin changes and all.
//
// Found however the file is changed: edited in place, replaced by a rename (editors), through a
// symlink edited where it points (the folder of its target is watched too), or as Kubernetes
// updates a mounted ConfigMap (the file is a symlink through `..data`, which is swapped for a new
// folder: an event on `..data`, not on the file's name). An event in a watched folder reads the
// file when it names the file, its symlink's target or one of Kubernetes' `..` entries (or names
// nothing, as some platforms send), not for every other file there: a request log written beside
// the config made it read several times a second. A read every `pollMs` besides (a file system
// whose events do not arrive: NFS, some volume mounts); only a text that differs from the last
// one read is loaded.
import { readFileSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ConfigService } from './config-service.js';
import { parseConfigText } from './load-config.js';
import { perProcessChanges } from './per-process-config.js';
import type { Config } from './schema.js';
import { restartWarning } from './startup-only.js';

/** How often the file is read whatever its folder's events say. */
export const CONFIG_POLL_MS = 5000;

export function watchConfigFile(
  file: string,
  service: ConfigService,
  log: { info(msg: string): void; warn(msg: string): void; error(msg: string): void },
  debounceMs = 200,
  pollMs = CONFIG_POLL_MS,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let lastText: string | undefined;
  /** The config the last text read says, to tell what a new one changes that is not applied. */
  let lastConfig: Config | undefined;
  const watchers = new Map<string, FSWatcher>();
  /** The names whose events read the file: its own, and its symlinks' target's (watchTarget). */
  const names = new Set([basename(file)]);
  let lastReadError: string | undefined;
  const reload = async () => {
    watchTarget();
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // Said once while it lasts, not at every poll.
      const message = `config reload: cannot read ${file}: ${(err as Error).message}`;
      if (message !== lastReadError) log.error(message);
      lastReadError = message;
      return;
    }
    lastReadError = undefined;
    if (text === lastText) return;
    lastText = text;
    try {
      const { config } = parseConfigText(text, file);
      const before = lastConfig;
      lastConfig = config;
      // A file that says what was last loaded from a file must not undo live (admin) changes.
      const v = await service.loadFile(config, 'file', `reloaded ${basename(file)}`);
      log.info(
        v
          ? `config reload: applied ${file} as version ${v.version}`
          : `config reload: ${file} says what was last loaded from it; the live config is kept`,
      );
      // Where it listens and its stores' URLs are this process's own, kept until a restart: an
      // edit that changes one is said to wait, unless it puts back the value the process runs on.
      const running = new Set(perProcessChanges(service.current.config, config));
      const local = before ? perProcessChanges(before, config).filter((p) => running.has(p)) : [];
      const waiting = [
        ...(local.length
          ? [
              `${local.join(', ')} ${local.length === 1 ? 'is' : 'are'} this process's own, read at start-up: the new value applies after a restart`,
            ]
          : []),
        ...(v ? [restartWarning(v.changes)].filter((w) => w !== undefined) : []),
      ];
      for (const w of waiting) log.warn(`config reload: ${w}`);
    } catch (err) {
      log.error(
        `config reload: ${file} rejected, keeping the running config: ${(err as Error).message}`,
      );
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  };
  const onEvent = (_event: string, name: string | Buffer | null) => {
    const n = name?.toString();
    if (n === undefined || names.has(n) || n.startsWith('..')) schedule();
  };
  const watchFolder = (folder: string) => {
    if (watchers.has(folder)) return;
    try {
      const w = watch(folder, onEvent);
      w.on('error', () => {
        // a folder that went away (a ConfigMap's old ..data folder): the poll carries on
        w.close();
        watchers.delete(folder);
      });
      watchers.set(folder, w);
    } catch {
      // not there (yet): the poll reads the file
    }
  };
  /** The folder the file's symlinks end in, watched too; one that no longer holds it, dropped. */
  const watchTarget = () => {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return;
    }
    const target = dirname(real);
    names.clear();
    names.add(basename(file)).add(basename(real));
    for (const [folder, w] of watchers)
      if (folder !== dirname(file) && folder !== target) {
        w.close();
        watchers.delete(folder);
      }
    watchFolder(target);
  };
  // The text in force, read before watching: read asynchronously, it could land after an edit
  // made right after start-up and take the edit for the running config (the edit was then lost).
  try {
    lastText = readFileSync(file, 'utf8');
    lastConfig = parseConfigText(lastText, file).config;
  } catch {
    // unreadable or invalid now: the first change event reads it
  }
  // Watch the folder: editors replace files by rename, which a file watch would lose.
  watchFolder(dirname(file));
  watchTarget();
  const poll = setInterval(() => void reload(), pollMs);
  poll.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}
