// `/v1/images/generations`, `/edits` and `/variations`, `/v1/audio/speech`,
// `/v1/audio/transcriptions` and `/translations`: an image, text-to-speech or transcription model
// (`kind: images | speech | transcription`) or a pool of them, called by name, not routed.
// Governed as embeddings are: key scope and subset, key and deployment rate limits (TPM charged
// the text's estimate), budgets (the call's expected cost reserved while it runs:
// expected-media-cost.ts), the content filter on the prompt or text to speak (and its
// instructions), the deployment's circuit breaker, cool-downs and timeout, failover within a pool
// before the first byte (named-failover.ts), and one request-log record with its cost
// (media-cost.ts). An image request goes only to the members whose model takes its quality and
// size (image-options.ts). Speech is sent on as the upstream sends it; its record ends with the
// audio, and its call stays in the shutdown drain until then (a body under way at the drain
// deadline is cut short and recorded 503 `router_shutting_down`).
import type { DeploymentConfig } from '../config/deployment-schema.js';
import { GatewayError, invalidRequest } from '../core/errors.js';
import type {
  ChatRequest,
  FormPart,
  ImageForm,
  ImagesReply,
  ImagesRequest,
  SpeechRequest,
  TranscriptionForm,
} from '../core/wire-types.js';
import type { ProviderAdapter, UpstreamAudio, UpstreamTranscript } from '../providers/types.js';
import type { RequestRecord } from '../store/request-record.js';
import { finishRecord, openRecord } from './finish-record.js';
import type { AdmitContext, ChatCall, Endpoint } from './gateway-types.js';
import {
  expectedImagesCostUsd,
  expectedSpeechCostUsd,
  expectedTranscriptCostUsd,
} from './expected-media-cost.js';
import { inputCostUsd } from './cost.js';
import { imageOptionsRefusal } from './image-options.js';
import { imagesCost, speechCost, transcriptCost, type MediaCost } from './media-cost.js';
import {
  callOrWait,
  callWithFailover,
  chargeFilterCalls,
  chargeUnansweredCalls,
  finishFailedNamedRequest,
  servedHeaders,
  type NamedAttempt,
  type NamedFailoverDeps,
  type NamedGatewayDeps,
  namedFailoverDeps,
} from './named-failover.js';
import { resolveNamedModel } from './request-target.js';
import { trackedCall } from './tracked-call.js';
import { noteQueued } from './wait-for-headroom.js';

export type MediaDeps = NamedGatewayDeps;

/** A media request: its body (`model` the name the client called), as the other gateways take. */
export type MediaCall<B> = Omit<
  ChatCall,
  'request' | 'endpoint' | 'native' | 'passThrough' | 'sessionId' | 'nextSessionId'
> & { request: B };

type MediaKind = 'images' | 'speech' | 'transcription';

/**
 * What a media call may cost on a deployment (expected-media-cost.ts), what its input alone costs
 * there (charged to a call that timed out or was stopped with it: NamedMembers.inputCostUsd), and
 * who refuses it.
 */
interface MediaJudge {
  expectedCostUsd: (d: DeploymentConfig, promptTokens: number) => number;
  inputCostUsd: (d: DeploymentConfig, promptTokens: number) => number;
  refuses?: (d: DeploymentConfig) => GatewayError | undefined;
}

/** A served call, its record still open: `finish` ends it (cost, settle, log) once. */
interface Served<R> {
  d: DeploymentConfig;
  served: R;
  headers: Record<string, string>;
  /** The call's signal: why a body still being read was stopped (the shutdown drain's 503). */
  signal: AbortSignal;
  /** Ends the record (cost, settle, log) and the call's hold in the shutdown drain, once. */
  finish(status: number, cost?: MediaCost, errorCode?: string): void;
}

export class MediaGateway {
  private readonly failover: NamedFailoverDeps;

  constructor(private readonly deps: MediaDeps) {
    this.failover = namedFailoverDeps(deps);
  }

  /** Images for the request's prompt; cost per image (by quality and size) plus token usage. */
  async images(
    call: MediaCall<ImagesRequest>,
  ): Promise<{ response: ImagesReply; headers: Record<string, string> }> {
    const out = await this.serve(
      call,
      'images.generations',
      'images',
      [call.request.prompt],
      ([text]) => ({ ...call.request, prompt: text! }),
      (d, adapter, body, signal) => {
        if (!adapter.generateImages) throw noApi(d, 'image generation');
        return adapter
          .generateImages({ deployment: d, body, signal, requestId: call.requestId })
          .then((r) => ({ served: r, model: d.model }));
      },
      {
        expectedCostUsd: (d, promptTokens) => expectedImagesCostUsd(d, call.request, promptTokens),
        // The prompt: the images are the answer, not yet made.
        inputCostUsd,
        refuses: (d) => imageOptionsRefusal(d, call.request),
      },
    );
    const reply = out.served.response;
    out.finish(200, imagesCost(out.d, call.request, reply));
    return { response: reply, headers: { ...out.headers, ...out.served.headers } };
  }

  /**
   * Edits of the form's images (with the prompt filtered as generations' is), or variations of its
   * one image; costed as generations are. With no `model` (the `openai` SDK sends none unless
   * asked), the config's one image deployment serves.
   */
  async editImages(
    call: MediaCall<ImageForm>,
    operation: 'edits' | 'variations',
  ): Promise<{ response: ImagesReply; headers: Record<string, string> }> {
    if (!call.request.model && !call.deploymentFromPath)
      call = { ...call, request: { ...call.request, model: this.soleImageModel() } };
    const form = call.request;
    const out = await this.serve(
      call,
      `images.${operation}`,
      'images',
      form.prompt === undefined ? [] : [form.prompt],
      ([text]) => withPrompt(form, text!),
      (d, adapter, body, signal) => {
        const send = operation === 'edits' ? adapter.editImages : adapter.createImageVariations;
        if (!send) throw noApi(d, operation === 'edits' ? 'image edits' : 'image variations');
        return send
          .call(adapter, { deployment: d, body, signal, requestId: call.requestId })
          .then((r) => ({ served: r, model: d.model }));
      },
      {
        expectedCostUsd: (d, promptTokens) => expectedImagesCostUsd(d, form, promptTokens),
        // The prompt (an input image's tokens are known only from the reply).
        inputCostUsd,
        refuses: (d) => imageOptionsRefusal(d, form),
      },
    );
    const reply = out.served.response;
    out.finish(200, imagesCost(out.d, form, reply));
    return { response: reply, headers: { ...out.headers, ...out.served.headers } };
  }

  /** The image deployment a request naming none goes to: the only one, or a 400 naming them. */
  private soleImageModel(): string {
    const names = [...this.deps.config.current.deployments.values()]
      .filter((d) => d.kind === 'images')
      .map((d) => d.name);
    if (names.length === 1) return names[0]!;
    throw invalidRequest(
      names.length === 0
        ? 'model is required, and this router has no image model (kind: images).'
        : `model is required: name an image deployment or pool (${names.join(', ')}).`,
      'model',
    );
  }

  /**
   * Speech for the request's text: the upstream's audio, read on as the client takes it. The
   * record ends with the audio: 200 when all of it went out, 499 when the client left, 502 when
   * the upstream broke off (the client then has a short file; nothing can be said in-band).
   */
  async speech(call: MediaCall<SpeechRequest>): Promise<{
    audio: AsyncIterable<Buffer>;
    contentType: string;
    headers: Record<string, string>;
  }> {
    const out = await this.serve(
      call,
      'audio.speech',
      'speech',
      // The instructions are read by the filter as the text is (media audit F8: they were not).
      typeof call.request.instructions === 'string'
        ? [call.request.input, call.request.instructions]
        : [call.request.input],
      ([input, instructions]) => ({
        ...call.request,
        input: input!,
        ...(instructions === undefined ? {} : { instructions }),
      }),
      (d, adapter, body, signal) => {
        if (!adapter.speak) throw noApi(d, 'text-to-speech');
        return adapter
          .speak({ deployment: d, body, signal, requestId: call.requestId })
          .then((r: UpstreamAudio) => ({ served: r, model: d.model }));
      },
      {
        expectedCostUsd: (d) => expectedSpeechCostUsd(d, call.request.input),
        // Speech is priced by its input's characters: the whole of what the call costs.
        inputCostUsd: (d) => expectedSpeechCostUsd(d, call.request.input),
      },
    );
    const cost = speechCost(out.d, call.request.input);
    const signal = call.signal;
    // A client gone before the first piece was asked for: the relay below never starts (nor runs
    // its `finally`), so the record ends here.
    signal.addEventListener('abort', () => out.finish(499, cost, 'client_closed_request'), {
      once: true,
    });
    async function* relay(): AsyncGenerator<Buffer> {
      let status = 499;
      let code: string | undefined = 'client_closed_request';
      try {
        for await (const chunk of out.served.audio) yield chunk;
        status = 200;
        code = undefined;
      } catch (err) {
        // The shutdown drain or the deployment's timeout stopped the upstream (the client has a
        // short file, as below).
        const stopped = out.signal.reason instanceof GatewayError ? out.signal.reason : undefined;
        if (stopped && !signal.aborted) {
          status = stopped.status;
          code = stopped.code ?? undefined;
        } else if (!signal.aborted) {
          status = 502;
          code = 'upstream_dropped';
        }
        throw err;
      } finally {
        out.finish(status, cost, code);
      }
    }
    return {
      audio: relay(),
      contentType: out.served.contentType,
      headers: { ...out.headers, ...out.served.headers },
    };
  }

  /** A transcript (or English translation) of the form's file, as the upstream wrote it. */
  async transcribe(
    call: MediaCall<TranscriptionForm>,
    operation: 'transcriptions' | 'translations',
  ): Promise<UpstreamTranscript> {
    const out = await this.serve(
      call,
      `audio.${operation}`,
      'transcription',
      [],
      () => call.request,
      (d, adapter, body, signal) => {
        if (!adapter.transcribe) throw noApi(d, 'transcription');
        return adapter
          .transcribe({ deployment: d, body, operation, signal, requestId: call.requestId })
          .then((r: UpstreamTranscript) => ({ served: r, model: d.model }));
      },
      {
        expectedCostUsd: (d) => expectedTranscriptCostUsd(d, call.request),
        // The audio sent: a WAV's minutes (other audio's length is known only from the reply).
        inputCostUsd: (d) => expectedTranscriptCostUsd(d, call.request),
      },
    );
    out.finish(200, transcriptCost(out.d, call.request, out.served));
    return { ...out.served, headers: { ...out.headers, ...out.served.headers } };
  }

  /**
   * Admits the call (its budgets hold what `judge` says it may cost on the dearest member until
   * it settles: a pool fails over to any member, so none is narrowed to), filters `texts` (the
   * prompt, or the text to speak and its instructions; `withTexts` puts the filtered texts back in
   * the body) and calls the target's members with failover: those `judge.refuses` has no 400 for
   * (an image model's quality and size), else the first member's 400. The record stays open until
   * `finish`; a failure before a member answered finishes it here.
   */
  private async serve<B extends { model: string }, R>(
    call: MediaCall<B>,
    endpoint: Endpoint,
    kind: MediaKind,
    texts: readonly string[],
    withTexts: (texts: string[]) => B,
    send: (
      d: DeploymentConfig,
      adapter: ProviderAdapter,
      body: B,
      signal: AbortSignal,
    ) => Promise<{ served: R; model: string }>,
    judge: MediaJudge,
  ): Promise<Served<R>> {
    const snapshot = this.deps.config.current;
    const startedPerf = this.deps.clock.perfNow();
    const record = openRecord(this.deps.clock, call, endpoint, false);
    // The governance hooks speak chat: they see the caller and the text as a user message.
    const asChat: ChatCall = {
      ...call,
      endpoint,
      request: {
        model: call.request.model,
        messages: texts.map((content) => ({ role: 'user', content })),
      } as ChatRequest,
    };
    const policies = this.deps.policies;
    let admit: AdmitContext | undefined;
    let estimate = 0;
    try {
      const { target, name, allowed } = membersThatTake(
        resolveNamedModel(snapshot, asChat, kind),
        judge.refuses,
      );
      if (target.kind === 'pool') record.router = name;
      estimate = texts.reduce((n, text) => n + Math.ceil(text.length / 4), 0);
      const sent = estimate;
      admit = {
        call: asChat,
        target,
        promptTokens: estimate,
        expectedCostUsd: (d) => judge.expectedCostUsd(d, estimate),
      };
      const admitted = policies?.admit ? await policies.admit(admit) : {};
      noteQueued(record, admitted);
      let body = call.request;
      if (policies?.filterInput && texts.length > 0) {
        const filtered = await policies.filterInput(asChat.request, admit);
        body = withTexts(filtered.request.messages.map((m) => String(m.content ?? '')));
      }
      const attempt: NamedAttempt<R> = (d, adapter, signal, t0) =>
        trackedCall(this.failover, d.name, t0, () =>
          send(d, adapter, { ...body, model: d.model }, signal),
        );
      const members = {
        target,
        allowed,
        sentEstimate: sent,
        bodyFollows: kind === 'speech',
        inputCostUsd: (d: DeploymentConfig) => judge.inputCostUsd(d, sent),
      };
      const { d, served, signal, release } = await callOrWait(
        this.failover,
        snapshot.deployments,
        admitted,
        estimate,
        record,
        () => callWithFailover(this.failover, call, members, record, attempt),
      );
      record.servedModel = d.model;
      const admitCtx = admit;
      let finished = false;
      return {
        d,
        served,
        headers: servedHeaders(admitted, {}, d, d.model, record),
        signal,
        finish: (status, cost, errorCode) => {
          if (finished) return;
          finished = true;
          release();
          this.account(record, cost);
          chargeUnansweredCalls(record, sent); // members tried before it, timed out
          chargeFilterCalls(record, admitCtx); // the content filter's calls on the texts
          policies?.settle?.(admitCtx, {
            deployment: d,
            usage: {
              prompt_tokens: record.promptTokens || estimate,
              completion_tokens: record.completionTokens,
              total_tokens: (record.promptTokens || estimate) + record.completionTokens,
            },
            costUsd: record.costUsd,
            status,
            attempts: record.attempts,
          });
          finishRecord(this.deps, record, startedPerf, status, errorCode);
        },
      };
    } catch (err) {
      // What was sent and not answered, and the content filter's calls, each at its deployment.
      finishFailedNamedRequest(this.deps, record, startedPerf, err, admit, estimate);
      throw err;
    }
  }

  /** Called by name, not routed: what it cost is the baseline (no savings claimed). */
  private account(record: RequestRecord, cost: MediaCost | undefined): void {
    if (!cost) return;
    record.promptTokens = cost.promptTokens;
    record.completionTokens = cost.completionTokens;
    record.costUsd = cost.costUsd;
    record.baselineCostUsd = cost.costUsd;
  }
}

/**
 * The target's members that take the request (`refuses` has no 400 for them), or the first
 * member's 400 when none does: a pool mixing image models sends each request where it fits.
 */
function membersThatTake<T extends { allowed: DeploymentConfig[] }>(
  resolved: T,
  refuses: ((d: DeploymentConfig) => GatewayError | undefined) | undefined,
): T {
  if (!refuses) return resolved;
  const refusals = resolved.allowed.map(refuses);
  if (refusals[0] && refusals.every(Boolean)) throw refusals[0];
  return { ...resolved, allowed: resolved.allowed.filter((_, i) => !refusals[i]) };
}

/** The form with its `prompt` field (and copy) set to `text`: the content filter's redaction. */
function withPrompt(form: ImageForm, text: string): ImageForm {
  if (text === form.prompt) return form;
  if (form.json) return { ...form, json: { ...form.json, prompt: text }, prompt: text };
  const parts: FormPart[] = form.parts.map((p) =>
    p.name === 'prompt' && 'value' in p ? { name: 'prompt', value: text } : p,
  );
  return { ...form, parts, prompt: text };
}

/** The 400 for a deployment whose provider lacks the API (the config check keeps this rare). */
function noApi(d: DeploymentConfig, what: string) {
  return invalidRequest(`${d.name}'s provider serves no ${what}.`, 'model');
}
