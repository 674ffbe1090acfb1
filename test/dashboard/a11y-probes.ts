// What the accessibility suite reads in the page beyond axe: the focused element's ring and its
// contrast with the ground around it (WCAG 1.4.11 asks 3:1 of a focus indicator), and the text
// rewritten inside live regions (what a screen reader is told again).
import type { Page } from 'playwright-core';

/** The focused element, named, with its outline as drawn and its contrast with the ground. */
export interface FocusRing {
  /** `tag#id` or `tag.class`, then `[index:label]` (unique on the page). */
  what: string;
  outlineStyle: string;
  outlineWidth: number;
  color: string;
  ground: string;
  contrast: number;
}

// The few DOM members the probes read (the suite's TypeScript has no DOM library).
type El = {
  tagName: string;
  id: string;
  classList: { [i: number]: string; length: number };
  parentElement: El | null;
  textContent: string | null;
  getAttribute(n: string): string | null;
  closest(s: string): El | null;
  matches(s: string): boolean;
};
type Win = {
  document: { activeElement: El | null; body: El; querySelectorAll(s: string): ArrayLike<El> };
  getComputedStyle(el: El): Record<string, string>;
};

export function focusRing(page: Page): Promise<FocusRing | null> {
  return page.evaluate(() => {
    const w = globalThis as unknown as Win;
    const el = w.document.activeElement;
    if (!el || el === w.document.body) return null;
    const rgba = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number) as number[];
    const lum = ([r = 0, g = 0, b = 0]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // The ring is drawn outside the element (outline-offset): its ground is an ancestor's.
    let ground = 'rgb(255, 255, 255)';
    for (let a = el.parentElement; a; a = a.parentElement) {
      const bg = w.getComputedStyle(a).backgroundColor ?? '';
      const alpha = rgba(bg)[3];
      if (bg && bg !== 'transparent' && alpha !== 0) {
        ground = bg;
        break;
      }
    }
    const style = w.getComputedStyle(el);
    const color = style.outlineColor ?? '';
    const [hi, lo] = [lum(rgba(color)), lum(rgba(ground))].sort((x, y) => y - x) as [
      number,
      number,
    ];
    const all = [...(w.document.querySelectorAll('*') as unknown as El[])];
    const label =
      el.getAttribute('aria-label') ??
      (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 30);
    const kind = el.id ? `#${el.id}` : el.classList.length ? `.${el.classList[0]}` : '';
    return {
      what: `${el.tagName.toLowerCase()}${kind}[${all.indexOf(el)}:${label}]`,
      outlineStyle: style.outlineStyle ?? '',
      outlineWidth: parseFloat(style.outlineWidth ?? '0'),
      color,
      ground,
      contrast: (hi + 0.05) / (lo + 0.05),
    };
  });
}

const LIVE = '[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log]';

/** Starts recording the text rewritten inside live regions (forgetting what was recorded). */
export async function watchLiveRegions(page: Page): Promise<void> {
  await page.evaluate((live) => {
    type Mutation = { type: string; target: El & { nodeType: number } };
    const w = globalThis as unknown as {
      liveChanges: string[];
      liveObserver?: { observe(n: unknown, o: object): void; disconnect(): void };
      MutationObserver: new (f: (m: Mutation[]) => void) => {
        observe(n: unknown, o: object): void;
        disconnect(): void;
      };
    } & Win;
    w.liveObserver?.disconnect();
    w.liveChanges = [];
    w.liveObserver = new w.MutationObserver((records) => {
      for (const m of records) {
        const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
        const region = el?.closest(live);
        if (region)
          w.liveChanges.push(`${region.id || region.tagName}: ${region.textContent ?? ''}`);
      }
    });
    w.liveObserver.observe(w.document.body, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, LIVE);
}

/** The live regions' text rewrites since watchLiveRegions. */
export function liveRegionChanges(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { liveChanges: string[] }).liveChanges);
}

/** Whether the focused element matches `selector`. */
export function focusIsOn(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(
    (s) => Boolean((globalThis as unknown as Win).document.activeElement?.matches(s)),
    selector,
  );
}
