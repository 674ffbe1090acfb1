// axe-core (Deque's accessibility engine) run inside a dashboard page: the WCAG 2.0/2.1 A and AA
// rules and axe's best practices, with every finding said as what to fix (rule, impact, the
// elements, the rule's help and its page).
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

/** What an enterprise audit for WCAG 2.1 AA runs: its success criteria and axe's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  helpUrl: string;
  targets: string[];
}

export interface AxeResult {
  version: string;
  /** Every rule that ran: passed, failed, not applicable or needing review. */
  rulesRun: string[];
  violations: AxeFinding[];
}

const TIMERS = [
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'requestAnimationFrame',
  'cancelAnimationFrame',
];

/**
 * Makes axe available in every page of the context. The dashboard's CSP (script-src 'self') refuses
 * an inline <script> (page.addScriptTag's), and bypassing the CSP would audit another page than
 * the one users get; an init script is added through the DevTools protocol, which the CSP does not
 * govern.
 */
export async function installAxe(context: BrowserContext): Promise<void> {
  // The browser's own timers, kept before a test's fake clock (page.clock) replaces them: axe
  // waits on timers as it works, and a paused clock would never let it finish.
  await context.addInitScript((names) => {
    const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
    const own: Record<string, unknown> = {};
    for (const name of names) own[name] = g[name]?.bind(globalThis);
    (globalThis as unknown as { axeOwnTimers: unknown }).axeOwnTimers = own;
  }, TIMERS);
  await context.addInitScript({ path: AXE_PATH });
}

/** Runs axe over the whole page as it is now (on the browser's own timers; see installAxe). */
export async function runAxe(page: Page): Promise<AxeResult> {
  return page.evaluate(async (tags) => {
    type Rule = {
      id: string;
      impact?: string | null;
      help: string;
      helpUrl: string;
      nodes: { target: unknown[] }[];
    };
    type Results = Record<'passes' | 'violations' | 'incomplete' | 'inapplicable', Rule[]>;
    const g = globalThis as unknown as {
      axe: { version: string; run(ctx: unknown, o: unknown): Promise<Results> };
      axeOwnTimers: Record<string, unknown>;
      document: unknown;
    } & Record<string, unknown>;
    const axe = g.axe;
    const faked = Object.fromEntries(Object.keys(g.axeOwnTimers).map((k) => [k, g[k]]));
    Object.assign(g, g.axeOwnTimers);
    let r: Results;
    try {
      r = await axe.run(g.document, { runOnly: { type: 'tag', values: tags } });
    } finally {
      Object.assign(g, faked);
    }
    return {
      version: axe.version,
      rulesRun: [...r.passes, ...r.violations, ...r.incomplete, ...r.inapplicable]
        .map((x) => x.id)
        .sort(),
      violations: r.violations.map((v) => ({
        rule: v.id,
        impact: v.impact ?? 'unknown',
        help: v.help,
        helpUrl: v.helpUrl,
        targets: v.nodes.map((n) => n.target.map(String).join(' ')),
      })),
    };
  }, AXE_TAGS);
}

/** A finding as a line that says what to fix and where (the first few elements). */
export function describeFinding(view: string, f: AxeFinding): string {
  const where = f.targets.slice(0, 4).join(', ') + (f.targets.length > 4 ? ', …' : '');
  return `${view}: ${f.rule} (${f.impact}, ${f.targets.length}×) ${f.help} [${where}] ${f.helpUrl}`;
}

/** Serious and critical findings: the ones an audit does not sign off. */
export const isBlocking = (f: AxeFinding) => f.impact === 'serious' || f.impact === 'critical';
