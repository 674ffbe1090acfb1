// One forwarded line's upstream answer on its way into the batch: through the output content
// filter as a live answer goes, to the output or error file (a line whose key was revoked since
// fails as a live one would), into the batch's usage, and into the request log with what the
// upstream charged (record-forwarded.ts).
import type { DeploymentConfig } from '../../config/deployment-schema.js';
import type { AuthContext } from '../../gateway/gateway-types.js';
import type { AttemptRecord } from '../../store/request-record.js';
import type { ActiveBatch } from '../active-batch.js';
import { resultLine, unansweredLine } from '../batch-line.js';
import { addUsage } from '../batch-object.js';
import type { ForwardedLine, ForwardGroup } from './forward-doc.js';
import {
  filterForwardedAnswer,
  recordForwardedLine,
  type ForwardRecordDeps,
} from './record-forwarded.js';

export async function keepUpstreamAnswer(
  deps: ForwardRecordDeps,
  keep: (ok: boolean, json: string) => void,
  args: {
    b: ActiveBatch;
    group: ForwardGroup;
    line: ForwardedLine;
    deployment: DeploymentConfig;
    top: DeploymentConfig;
    caller: AuthContext | { error: string };
    answer: { status: number; body: unknown };
  },
): Promise<void> {
  const { b, line, deployment, caller, answer } = args;
  const source = b.lines[line.line]!;
  let filterCalls: AttemptRecord[] | undefined;
  if ('error' in caller) {
    keep(false, unansweredLine(line.requestId, source, 'invalid_api_key', caller.error));
  } else {
    const out = await filterForwardedAnswer(deps.policies, caller, line, deployment, answer);
    filterCalls = out.filterCalls;
    const ok = out.status >= 200 && out.status < 300;
    const body = out.body === undefined ? undefined : JSON.stringify(out.body);
    const reply = { status: out.status, headers: {}, body: body ?? 'no body' };
    keep(ok, resultLine(line.requestId, source, reply, body === undefined ? undefined : out.body));
    if (ok) addUsage(b.doc.usage, (out.body as { usage?: unknown } | null)?.usage);
  }
  recordForwardedLine(deps, {
    tenant: b.stored.owner,
    ...(b.doc.keyId !== undefined ? { keyId: b.doc.keyId } : {}),
    ...('error' in caller ? {} : { auth: caller }),
    group: args.group,
    line,
    deployment,
    top: args.top,
    status: answer.status,
    body: answer.body,
    filterCalls,
  });
}
