// The request-log record of a background response whose replica died while running it (SIGKILL,
// a crash, a lost node): that replica never wrote one, so the replica whose sweep fails the run
// writes it, unless the log has the request already (the replica died after writing it). What it
// knows is what the stored response kept: the caller, when it was asked, and, once the run was
// routed, where it went (its `x-router-*` headers). Not what it cost: the upstream may have billed.
import type { RequestLog } from '../../store/request-log.js';
import { newRequestRecord } from '../../store/request-record.js';
import type { StoredResponse } from '../../store/response-store.js';

/** The error code such a record carries (status 500: the router's failure, not the client's). */
export const REPLICA_STOPPED = 'replica_stopped';

export function lostRunRecorder(
  log: RequestLog,
): (failed: StoredResponse, now: number) => Promise<void> {
  return async (failed, now) => {
    const { requestId, owner } = failed;
    // Responses stored before these were kept name no request or tenant: nothing to record.
    if (!requestId || owner === undefined) return;
    if (await log.store.findRequest(owner, { requestId })) return;
    const record = newRequestRecord({
      time: failed.createdAt,
      requestId,
      endpoint: 'responses',
      tenant: owner,
      keyId: failed.caller?.keyId,
      endUser: failed.caller?.endUser,
      tags: failed.caller?.tags,
      stream: failed.streamed === true,
    });
    const served = failed.routerHeaders ?? {};
    const deployment = served['x-router-deployment'];
    if (deployment) {
      record.deployment = deployment;
      record.servedModel = served['x-router-model'];
      record.region = served['x-router-region'];
      // Named by `model`: a router or pool when that is not the deployment itself.
      if (failed.model !== deployment) record.router = failed.model;
      record.routingMode = served['x-router-mode'];
      record.routerVersion = served['x-router-version'];
      record.decisionId = served['x-router-decision-id'];
    }
    record.status = 500;
    record.errorCode = REPLICA_STOPPED;
    record.latencyMs = Math.max(0, now - failed.createdAt);
    log.record(record);
  };
}
