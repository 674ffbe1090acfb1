// Who may call each route of the router (test/route-access-matrix.test.ts reads every route the
// app registers and fails on one that is not here): public, admin, or a tenant's caller route with
// the model-naming call its key's scopes decide, and the stored object its id names.
import {
  admin,
  caller,
  onDeployment,
  publicRoute,
  SCOPED,
  under,
  type Access,
} from './route-access.js';
import { chatItem } from './access-runtime.js';

const V1 = ['/v1', '/openai/v1'];
const AZURE = ['/v1', '/openai/v1', '/openai'];
const ALL = ['/v1', '/openai/v1', '/openai', ''];
export const WS =
  'WebSocket upgrade: its model is checked once connected (realtime-key-narrowed.test.ts)';

/**
 * Who may call each route. A route the app registers that is not here fails the test: add it as
 * `publicRoute(why)` (no key, no data), `admin`, or `caller(scope, {names, lists})`.
 */
export const ROUTES: Record<string, Access> = {
  'GET /healthz': publicRoute('liveness, no data'),
  'GET /readyz': publicRoute('readiness: documented open (docs/operations.md "Security model")'),
  'GET /metrics': publicRoute('documented open: names of routers and deployments, no tenant'),
  'GET /dashboard': publicRoute('the page shell, no data'),
  'GET /dashboard/': publicRoute('a redirect to /dashboard'),
  'GET /dashboard/assets/:file': publicRoute('static assets, no data'),
  'OPTIONS *': publicRoute('CORS preflight: a browser sends it without credentials'),
  'GET /dashboard/api/batches': admin,
  'GET /dashboard/api/overview': admin,
  'GET /dashboard/api/decisions': admin,
  ...under(['/admin/v1'], {
    'GET /batches': admin,
    'GET /batches/:id': admin,
    'POST /batches/:id/cancel': admin,
    'GET /batch-webhooks': admin,
    'POST /batch-webhooks/:id/retry': admin,
    'GET /config/versions': admin,
    'GET /config/versions/:revision': admin,
    'POST /config/rollback': admin,
    'DELETE /cache': admin,
    'GET /settings': admin,
    'GET /settings/:section': admin,
    'PUT /settings/:section': admin,
    'PATCH /settings/:section': admin,
    'GET /usage': admin,
    'POST /keys': admin,
    'GET /keys': admin,
    'DELETE /keys/:id': admin,
    'POST /keys/:id/rotate': admin,
  }),
  ...under(['/admin/v1/routers', '/admin/v1/pools', '/admin/v1/deployments'], {
    'GET ': admin,
    'GET /:name': admin,
    'PUT /:name': admin,
    'PATCH /:name': admin,
    'DELETE /:name': admin,
  }),
  ...under(['/v1', '/openai/v1', '/openai'], {
    'GET /models': caller('lists only what the key may use'),
    'GET /models*': caller(SCOPED.model),
  }),
  ...under(ALL, {
    'POST /chat/completions': caller(SCOPED.chat),
    'GET /chat/completions': caller('a list of stored completions', { lists: 'chatCompletion' }),
    'GET /chat/completions/:id': caller('names no model', { names: 'chatCompletion' }),
    'POST /chat/completions/:id': caller('names no model', {
      names: 'chatCompletion',
      body: () => ({ metadata: { topic: 'changed' } }),
    }),
    'DELETE /chat/completions/:id': caller('names no model', { names: 'chatCompletion' }),
    'GET /chat/completions/:id/messages': caller('names no model', { names: 'chatCompletion' }),
  }),
  ...under(V1, { 'POST /completions': caller(SCOPED.completion) }),
  ...under(V1, { 'POST /decisions': caller(SCOPED.decision) }),
  ...under(AZURE, {
    'POST /responses': caller(SCOPED.responses),
    'POST /responses/input_tokens': caller(SCOPED.responses),
    'POST /responses/compact': caller(SCOPED.responses),
    'GET /responses/:id': caller('names no model', { names: 'response' }),
    'DELETE /responses/:id': caller('names no model', { names: 'response' }),
    'POST /responses/:id/cancel': caller('names no model', { names: 'background' }),
    'GET /responses/:id/input_items': caller('names no model', { names: 'response' }),
    'POST /conversations': caller('stores items, calls no model'),
    'GET /conversations/:id': caller('names no model', { names: 'conversation' }),
    'POST /conversations/:id': caller('names no model', {
      names: 'conversation',
      body: () => ({ metadata: { topic: 'changed' } }),
    }),
    'DELETE /conversations/:id': caller('names no model', { names: 'conversation' }),
    'POST /conversations/:id/items': caller('names no model', {
      names: 'conversation',
      body: () => ({ items: [chatItem] }),
    }),
    'GET /conversations/:id/items': caller('names no model', { names: 'conversation' }),
    'GET /conversations/:id/items/:itemId': caller('names no model', {
      names: 'conversationItem',
    }),
    'DELETE /conversations/:id/items/:itemId': caller('names no model', {
      names: 'conversationItem',
    }),
    'POST /files': caller('stores a file, calls no model'),
    'GET /files': caller('a list of files', { lists: 'file' }),
    'GET /files/:id': caller('names no model', { names: 'file' }),
    'DELETE /files/:id': caller('names no model', { names: 'file' }),
    'GET /files/:id/content': caller('names no model', { names: 'file' }),
    'POST /batches': caller("each line's model is checked when it runs, as its creator"),
    'GET /batches': caller('a list of batches', { lists: 'batch' }),
    'GET /batches/:id': caller('names no model', { names: 'batch' }),
    'POST /batches/:id/cancel': caller('names no model', { names: 'batch' }),
  }),
  ...under(V1, {
    'GET /responses': caller(WS),
    'POST /feedback': caller('names no model', {
      names: 'requestId',
      body: (id) => ({ request_id: id, score: 1 }),
    }),
  }),
  'POST /v1/messages': caller(SCOPED.messages),
  'POST /v1/messages/count_tokens': caller(SCOPED.messages),
  'POST /v1/messages/batches': caller("each request's model is checked when it runs"),
  'GET /v1/messages/batches': caller('a list of message batches', { lists: 'messageBatch' }),
  'GET /v1/messages/batches/:id': caller('names no model', { names: 'messageBatch' }),
  'DELETE /v1/messages/batches/:id': caller('names no model', { names: 'messageBatch' }),
  'POST /v1/messages/batches/:id/cancel': caller('names no model', { names: 'messageBatch' }),
  'GET /v1/messages/batches/:id/results': caller('names no model', { names: 'messageBatch' }),
  'GET /v1/router/decisions/:id': caller('names no model', { names: 'requestId' }),
  'GET /v1/router/usage': caller("the caller's own usage", { lists: 'requestId' }),
  'GET /v1/router/key': caller("the caller's own key"),
  ...under(['/realtime', '/v1/realtime', '/openai/v1/realtime', '/openai/realtime'], {
    'GET ': caller(WS),
  }),
  ...under(['/rerank', '/v1/rerank', '/v2/rerank', '/openai/v1/rerank'], {
    'POST ': caller(SCOPED.rerank),
  }),
  ...under(['/v1', '/openai/v1', ''], {
    'POST /moderations': caller(SCOPED.moderations),
    'POST /images/generations': caller(SCOPED.image),
    'POST /images/edits': caller(SCOPED.imageEdit),
    'POST /audio/speech': caller(SCOPED.speech),
    'POST /audio/transcriptions': caller(SCOPED.transcription),
    'POST /audio/translations': caller(SCOPED.transcription),
  }),
  ...under(['/v1', '/openai/v1', ''], {
    'POST /images/variations': caller(SCOPED.imageVariation),
  }),
  'POST /openai/images/variations': caller(
    'Azure has no such operation: a 400 naming the one to use',
  ),
  ...under(['/v1', '/openai', ''], { 'POST /embeddings': caller(SCOPED.embeddings) }),
  'POST /openai/v1/embeddings': caller(SCOPED.embeddings),
  ...under(['/openai/v1/deployments/:deployment', '/openai/deployments/:deployment'], {
    'POST /chat/completions': caller(onDeployment(SCOPED.chat, 'big')),
    'POST /completions': caller(onDeployment(SCOPED.completion, 'big')),
    'POST /embeddings': caller(onDeployment(SCOPED.embeddings, 'emb')),
    'POST /images/generations': caller(onDeployment(SCOPED.image, 'img')),
    'POST /images/edits': caller(onDeployment(SCOPED.imageEdit, 'img')),
    'POST /audio/speech': caller(onDeployment(SCOPED.speech, 'tts')),
    'POST /audio/transcriptions': caller(onDeployment(SCOPED.transcription, 'stt')),
    'POST /audio/translations': caller(onDeployment(SCOPED.transcription, 'stt')),
  }),
  ...under(['/openai/deployments/:deployment'], {
    'POST /extensions/chat/completions': caller('retired by Azure: a 404 naming the path to use'),
    'POST /responses': caller(onDeployment(SCOPED.responses, 'big')),
    'POST /images/variations': caller('Azure has no such operation: a 400 naming the one to use'),
  }),
};
