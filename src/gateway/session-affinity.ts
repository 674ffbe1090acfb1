// Session affinity, compatible with Foundry's preview controls: `Foundry-Features:
// ModelRouterControls=V1Preview` + body `routing_config.session_affinity = {strategy, session_id}`.
// Keeps a conversation on one model (and its prompt cache warm) while that stays sensible; it
// only reorders eligible candidates, so it can never fail a request.
import { createHash } from 'node:crypto';
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { invalidRequest } from '../core/errors.js';
import type { SessionAffinityReceipt } from '../routing/receipt.js';
import type { RoutingDecision } from '../routing/router-types.js';
import type { ChatCall } from './gateway-types.js';
import { describeValue } from '../core/describe-value.js';

export type AffinityStrategy = 'adaptive' | 'sticky' | 'none';

/** Remembers which deployment served each session last. */
export interface AffinityStore {
  lookup(sessionKey: string): string | undefined;
  remember(sessionKey: string, deployment: string): void;
}

/** How many sessions a replica remembers, and for how long after a session's last turn. */
export const AFFINITY_CAPACITY = 50_000;
export const AFFINITY_TTL_MS = 3_600_000;

/** The in-process store; `rememberAt` takes a turn another replica served (./shared-affinity.ts). */
export interface MemoryAffinityStore extends AffinityStore {
  rememberAt(sessionKey: string, deployment: string, at: number): void;
}

export function createMemoryAffinityStore(
  capacity = AFFINITY_CAPACITY,
  ttlMs = AFFINITY_TTL_MS,
  now = () => Date.now(),
): MemoryAffinityStore {
  const entries = new Map<string, { deployment: string; at: number }>();
  const rememberAt = (key: string, deployment: string, at: number) => {
    // A turn heard late from another replica never overrides a later one.
    if ((entries.get(key)?.at ?? -Infinity) > at) return;
    entries.delete(key);
    entries.set(key, { deployment, at });
    if (entries.size > capacity) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };
  return {
    lookup(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (now() - e.at > ttlMs) {
        entries.delete(key);
        return undefined;
      }
      return e.deployment;
    },
    remember: (key, deployment) => rememberAt(key, deployment, now()),
    rememberAt,
  };
}

interface AffinityControls {
  strategy: AffinityStrategy;
  sessionId?: string;
  explicit: boolean;
}

function header(call: ChatCall, name: string): string | undefined {
  const v = call.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads the controls; without them, multi-turn conversations get adaptive affinity by default. */
export function readAffinityControls(call: ChatCall): AffinityControls {
  const previewOn = (header(call, 'foundry-features') ?? '').includes(
    'ModelRouterControls=V1Preview',
  );
  const routingConfig = call.request.routing_config as
    { session_affinity?: { strategy?: unknown; session_id?: unknown } } | undefined;
  const asked = previewOn ? routingConfig?.session_affinity : undefined;
  const strategy = asked?.strategy;
  const sessionId =
    (typeof asked?.session_id === 'string' && asked.session_id) ||
    header(call, 'x-session-id') ||
    header(call, 'x-router-session-id') ||
    // A Responses turn on a conversation: its id is the same on every turn.
    call.sessionId ||
    (typeof call.request.previous_response_id === 'string'
      ? call.request.previous_response_id
      : undefined);
  if (strategy === 'sticky' || strategy === 'adaptive' || strategy === 'none') {
    return { strategy, sessionId: sessionId || undefined, explicit: true };
  }
  // A misspelt strategy was served as adaptive without a word; Foundry answers 400.
  if (strategy !== undefined && strategy !== null)
    throw invalidRequest(
      `routing_config.session_affinity.strategy must be "adaptive", "sticky" or "none" (got ${describeValue(strategy)}).`,
      'routing_config.session_affinity.strategy',
      'invalid_value',
    );
  return { strategy: 'adaptive', sessionId: sessionId || undefined, explicit: false };
}

/**
 * A conversation fingerprint: hash of the system prompt and the first user turn, which stay the
 * same on every later turn of one conversation. Only for conversations that have earlier turns.
 */
export function conversationFingerprint(call: ChatCall): string | undefined {
  const messages = call.request.messages;
  if (!messages.some((m) => m.role === 'assistant')) return undefined;
  const h = createHash('sha256');
  for (const m of messages) {
    if (m.role === 'system' || m.role === 'developer')
      h.update(`${m.role}:${JSON.stringify(m.content)}\n`);
    if (m.role === 'user') {
      h.update(`user:${JSON.stringify(m.content)}\n`);
      break;
    }
  }
  return 'fp_' + h.digest('base64url').slice(0, 22);
}

export interface AffinityResult {
  ordered: string[];
  sessionKey?: string;
  receipt: SessionAffinityReceipt;
}

export function resolveSessionAffinity(
  call: ChatCall,
  decision: RoutingDecision,
  eligible: DeploymentConfig[],
  store: AffinityStore,
): AffinityResult {
  const controls = readAffinityControls(call);
  const ordered = decision.ordered;
  if (controls.strategy === 'none') {
    return { ordered, receipt: { strategy: 'none', outcome: 'off', detail: 'affinity off' } };
  }
  const sessionId = controls.sessionId ?? conversationFingerprint(call);
  // Per tenant: two tenants that happen to send the same session id (a client's default, a
  // copied example) never steer each other's routing. A Responses turn is remembered under the
  // id its response will have (the next turn's previous_response_id), not the one it names.
  const keyOf = (id: string) => `${call.auth.tenant}:${decision.mode}:${id}`;
  const chained =
    call.nextSessionId !== undefined &&
    (controls.sessionId === undefined || controls.sessionId === call.request.previous_response_id);
  const rememberKey = (key: string) => (chained ? keyOf(call.nextSessionId!) : key);
  if (!sessionId) {
    return {
      ordered,
      ...(chained ? { sessionKey: keyOf(call.nextSessionId!) } : {}),
      receipt: {
        strategy: controls.strategy,
        outcome: 'off',
        detail: 'no session id and no earlier turns',
      },
    };
  }
  const lookupKey = keyOf(sessionId);
  const sessionKey = rememberKey(lookupKey);
  const base = { strategy: controls.strategy, sessionId };
  const previous = store.lookup(lookupKey);
  if (!previous) {
    return {
      ordered,
      sessionKey,
      receipt: { ...base, outcome: 'new_session', detail: `new session ${sessionId}` },
    };
  }
  if (!eligible.some((d) => d.name === previous)) {
    return {
      ordered,
      sessionKey,
      receipt: {
        ...base,
        outcome: 'previous_ineligible',
        previousDeployment: previous,
        detail: `previous model ${previous} is not eligible for this turn, so the router picked again`,
      },
    };
  }
  if (previous === ordered[0]) {
    return {
      ordered,
      sessionKey,
      receipt: {
        ...base,
        outcome: 'kept',
        previousDeployment: previous,
        detail: `kept ${previous} (also the fresh pick)`,
      },
    };
  }
  if (controls.strategy === 'adaptive') {
    const scores = new Map(decision.scores.map((s) => [s.deployment, s.predictedQuality]));
    const best = Math.max(...decision.scores.map((s) => s.predictedQuality));
    const prevQuality = scores.get(previous) ?? 0;
    // Under the tradeoff rule a band can fall outside [0, 1] (a charge on cost, not a fraction).
    const band = Math.min(1, Math.max(0, decision.band));
    if (prevQuality < best * band) {
      return {
        ordered,
        sessionKey,
        receipt: {
          ...base,
          outcome: 'switched',
          previousDeployment: previous,
          detail: `switched from ${previous} to ${ordered[0]}: this turn needs more (predicted quality ${prevQuality.toFixed(3)} < band ${band.toFixed(3)} × best ${best.toFixed(3)})`,
        },
      };
    }
  }
  return {
    ordered: [previous, ...ordered.filter((n) => n !== previous)],
    sessionKey,
    receipt: {
      ...base,
      outcome: 'kept',
      previousDeployment: previous,
      detail: `kept ${previous} for session ${sessionId} (${controls.strategy}; keeps its prompt cache warm)`,
    },
  };
}
