// How an admin change is reported back: validation issues at paths the caller wrote (relative to
// the router, pool or deployment it sent, other items by name rather than by their index in the
// whole config), and only the warnings that concern the change.
import type { Config } from '../../config/schema.js';

export type Section = 'routers' | 'pools' | 'deployments';

// A top-level list item at the start of a path (several paths are joined by ", "); not a
// nested list of the same name (`pools[0].deployments[1]`).
const ITEM_PATH = /(^|, )(routers|pools|deployments)\[(\d+)\](\.)?/g;

/**
 * Rewrites an issue's path (`deployments[17].prices.inputPer1M: …`): the changed item's own
 * paths lose their prefix (`prices.inputPer1M: …`, its root reads `deployment "bad": …`), other
 * items are named (`routers[model-router].modelSubset[2]: …`, as in the version log).
 */
export function issuesRelativeTo(
  draft: Config | undefined,
  item?: { section: Section; name: string; singular: string },
): (issue: string) => string {
  return (issue) => {
    const colon = issue.indexOf(': ');
    if (colon < 0 || !draft) return issue;
    const path = issue
      .slice(0, colon)
      .replace(ITEM_PATH, (whole, start: string, section: Section, i: string, dot?: string) => {
        const named = (draft[section] as { name?: unknown }[])[Number(i)]?.name;
        if (typeof named !== 'string') return whole;
        if (item && section === item.section && named === item.name)
          return dot ? start : `${start}${item.singular} "${item.name}"`;
        return `${start}${section}[${named}]${dot ?? ''}`;
      });
    return `${path}${issue.slice(colon)}`;
  };
}

/** True when `note` names `name` as a whole word (`my-mini` is not named by `my-mini2`). */
export function namesItem(note: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A name's characters around it, or a dot that continues it (`gpt-4` within `gpt-4.1`).
  return new RegExp(`(?<![\\w./:-])${escaped}(?![\\w/:-]|\\.\\w)`).test(note);
}

/**
 * The warnings a change answers with: the notes it brought (not there before it) and those that
 * name the item it changed. Notes about the rest of the config, unchanged, are not repeated.
 */
export function changeWarnings(
  before: readonly string[],
  after: readonly string[],
  name?: string,
): { warnings?: string[] } {
  const had = new Set(before);
  const list = after.filter((n) => !had.has(n) || (name !== undefined && namesItem(n, name)));
  return list.length ? { warnings: list } : {};
}
