// The alerts a budget's state calls for (alerts.webhooks): a caller's budget used up or past
// `budgets.shiftToCostAt`, and the same for a deployment's own budget. Raised by the governance
// policies (governance-policies.ts) at admission and at settle.
import type { Alert } from '../telemetry/alerts.js';
import { budgetDetails, budgetOwner, type BudgetLine, type BudgetState } from './budget.js';

/**
 * A deployment's budget used up (routed around, or refused when called by name, until reset), or
 * past `budgets.shiftToCostAt` (a warning before that happens).
 */
export function deploymentBudgetAlert(line: BudgetLine): Alert {
  const period = line.period === 'day' ? 'daily' : 'monthly';
  const spent = `${usd(line.spentUsd)} of ${usd(line.limitUsd)}`;
  const until = new Date(line.resetsAt).toISOString();
  return line.fraction >= 1
    ? {
        event: 'budget_exhausted',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is used up (${spent}): routers and pools route around it, and calls by its name are refused, until ${until}.`,
        details: budgetDetails(line),
      }
    : {
        event: 'budget_threshold',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is ${Math.round(line.fraction * 100)}% used (${spent}): once it is used up, routers and pools route around it until ${until}.`,
        details: budgetDetails(line),
      };
}

/** The budget alert a state calls for: used up, or past the Cost-mode threshold; else none. */
export function budgetAlert(state: BudgetState): { alert: Alert; until: number } | undefined {
  const line = state.exhaustedLine ?? (state.shiftToCost ? maxLine(state.lines) : undefined);
  if (!line) return undefined;
  const period = line.period === 'day' ? 'daily' : 'monthly';
  const resets = new Date(line.resetsAt).toISOString();
  const spent = `${usd(line.spentUsd)} of ${usd(line.limitUsd)}`;
  const alert: Alert = state.exhaustedLine
    ? {
        event: 'budget_exhausted',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is used up (${spent}): its requests are refused until ${resets}.`,
        details: budgetDetails(line),
      }
    : {
        event: 'budget_threshold',
        subject: line.key,
        message: `The ${period} budget of ${budgetOwner(line)} is ${Math.round(line.fraction * 100)}% used (${spent}): its requests are routed in Cost mode until ${resets}.`,
        details: budgetDetails(line),
      };
  // Once per budget and period: the counter key names the period.
  return { alert, until: line.resetsAt };
}

/** Dollars to the cent, or to two significant digits below a cent. */
const usd = (v: number) => (v >= 0.01 ? `$${v.toFixed(2)}` : `$${v.toPrecision(2)}`);

function maxLine(lines: readonly BudgetLine[]): BudgetLine | undefined {
  return lines.reduce<BudgetLine | undefined>(
    (m, l) => (!m || l.fraction > m.fraction ? l : m),
    undefined,
  );
}
