// Speech and transcription on the paths clients use: OpenAI `/v1/audio/speech`,
// `/v1/audio/transcriptions` and `/v1/audio/translations`, Azure v1 `/openai/v1/audio/…` and Azure
// dated `/openai/deployments/{name}/audio/…?api-version=` (and `/openai/v1/deployments/…`, the
// AzureOpenAI client's with a v1 `baseURL`). Speech is JSON in, audio out, sent as it
// comes; transcriptions and translations are multipart (openapi.yaml CreateTranscriptionRequest),
// read here with @fastify/multipart (registered for these routes only) and sent upstream as a
// form again. Checked on the fields the router reads; the rest passes through. A text field is at
// most 128 KB (400 past it, never cut).
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, invalidRequest } from '../../core/errors.js';
import { isObject } from '../../core/is-object.js';
import { checkModelField, MODEL_IN_PATH } from '../check-fields.js';
import type { SpeechRequest, TranscriptionForm } from '../../core/wire-types.js';
import type { MediaGateway } from '../../gateway/media-gateway.js';
import { AZURE_DEPLOYMENT_PATHS, checkApiVersion } from './chat-routes.js';
import {
  checkFormBoolean,
  formFieldValue,
  MAX_FORM_FIELD_BYTES,
  uploadFilename,
} from './form-field.js';
import { namedCall } from './named-call.js';
import { describeValue } from '../../config/zod-issue-message.js';
import { countChars } from '../../core/char-count.js';
import { formParts, isMalformedForm } from '../malformed-form.js';

/** OpenAI's limits: 4,096 characters of speech; audio files of 25 MB. */
const MAX_SPEECH_CHARS = 4096;
export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
const SPEECH_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const SPEECH_OPTIONAL = ['instructions', 'response_format', 'speed', 'stream_format'] as const;
/** openapi.yaml CreateTranscriptionRequest and CreateTranslationRequest `response_format`. */
const TRANSCRIPT_FORMATS = {
  transcriptions: ['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'],
  translations: ['json', 'text', 'srt', 'verbose_json', 'vtt'],
};

/** A client's speech body → the request the gateway runs, or a 400 saying what to fix. */
export function parseSpeechRequest(sent: unknown, modelFromPath = false): SpeechRequest {
  if (!isObject(sent)) throw invalidRequest('The request body must be a JSON object.');
  checkModelField(
    sent,
    modelFromPath ? MODEL_IN_PATH : 'the name of a text-to-speech deployment or pool',
    modelFromPath,
  );
  // An optional field sent as null is one left out, and not sent on: OpenAI's schema has no null
  // for them (media audit F8: response_format null was refused as no format).
  const body = { ...sent };
  for (const field of SPEECH_OPTIONAL) if (body[field] === null) delete body[field];
  // "is required" only when it is missing: a wrong type or a too-long text is told as such.
  const input = body.input;
  // Characters, not UTF-16 units: an emoji is one (media audit F2: it counted two).
  const chars = typeof input === 'string' ? countChars(input) : 0;
  if (typeof input !== 'string' || !input || chars > MAX_SPEECH_CHARS)
    throw invalidRequest(
      `input ${
        input === undefined || input === null
          ? 'is required'
          : typeof input !== 'string'
            ? `must be a string (got ${describeValue(input)})`
            : input
              ? `is ${chars} characters, over the limit`
              : 'is empty'
      }: the text to speak, 1 to ${MAX_SPEECH_CHARS} characters.`,
      'input',
    );
  const voice = body.voice;
  // An empty name (or id) names no voice: it was sent on, to be refused upstream or read as a default.
  const named = typeof voice === 'string' ? voice : isObject(voice) ? voice.id : undefined;
  if (typeof named !== 'string' || !named)
    throw invalidRequest(
      `voice ${voice === undefined || voice === null ? 'is required' : named === '' ? 'is empty' : `must be a string or {"id": …} (got ${describeValue(voice)})`}: a voice name (e.g. "alloy") or {"id": …}.`,
      'voice',
    );
  if (
    body.response_format !== undefined &&
    !SPEECH_FORMATS.includes(body.response_format as string)
  )
    throw invalidRequest(
      `response_format must be one of ${SPEECH_FORMATS.join(', ')}.`,
      'response_format',
    );
  if (
    body.speed !== undefined &&
    (typeof body.speed !== 'number' || body.speed < 0.25 || body.speed > 4)
  )
    throw invalidRequest('speed must be a number from 0.25 to 4.', 'speed');
  const instructions = body.instructions;
  if (
    instructions !== undefined &&
    (typeof instructions !== 'string' || countChars(instructions) > MAX_SPEECH_CHARS)
  )
    throw invalidRequest(
      `instructions ${typeof instructions === 'string' ? `is ${countChars(instructions)} characters, over the limit` : `must be a string (got ${describeValue(instructions)})`}: how to speak, up to ${MAX_SPEECH_CHARS} characters.`,
      'instructions',
    );
  return { ...body, model: typeof body.model === 'string' ? body.model : '' } as SpeechRequest;
}

/** The multipart form of a transcription request → what the gateway runs, or a 400. */
export async function readTranscriptionForm(
  request: FastifyRequest,
  modelFromPath: boolean,
  operation: 'transcriptions' | 'translations' = 'transcriptions',
): Promise<TranscriptionForm> {
  if (!request.isMultipart())
    throw invalidRequest(
      'Send the audio as multipart/form-data with the fields "file" and "model".',
      'file',
    );
  const fields: [string, string][] = [];
  let fieldBytes = 0;
  let file: TranscriptionForm['file'] | undefined;
  try {
    for await (const part of formParts(request.parts(), request.raw)) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file)
          throw invalidRequest('Send one audio file, in the field "file".', 'file');
        const filename = uploadFilename(part, 'audio');
        const chunks: Buffer[] = [];
        for await (const c of part.file) chunks.push(c as Buffer);
        if (part.file.truncated) throw fileTooLarge();
        file = {
          filename,
          contentType: part.mimetype || 'application/octet-stream',
          data: Buffer.concat(chunks),
        };
      } else {
        const value = formFieldValue(part, MAX_FORM_FIELD_BYTES);
        fieldBytes += part.fieldname.length + value.length;
        if (fieldBytes > MAX_TRANSCRIPTION_FIELD_BYTES) throw fieldsTooLarge(part.fieldname);
        fields.push([part.fieldname, value]);
      }
    }
  } catch (err) {
    throw formError(err);
  }
  const field = (name: string) => fields.find(([n]) => n === name)?.[1];
  const model = field('model') ?? '';
  if (!modelFromPath && !model)
    throw invalidRequest('model is required: the name of a transcription deployment.', 'model');
  if (!file || file.data.length === 0)
    throw invalidRequest('file is required: the audio to transcribe, as a file part.', 'file');
  const responseFormat = field('response_format') ?? 'json';
  const formats = TRANSCRIPT_FORMATS[operation];
  if (!formats.includes(responseFormat))
    throw invalidRequest(
      `response_format must be one of ${formats.join(', ')}${
        operation === 'translations' && responseFormat === 'diarized_json'
          ? ' (diarized_json is for transcriptions only)'
          : ''
      }.`,
      'response_format',
    );
  checkFormBoolean(field('stream'), 'stream');
  if (field('stream') === 'true')
    throw invalidRequest(
      'stream: true is not served by this router; leave it out for the whole transcript.',
      'stream',
    );
  checkGranularities(fields);
  const temperature = field('temperature');
  if (temperature !== undefined && !(Number(temperature) >= 0 && Number(temperature) <= 1))
    throw invalidRequest('temperature must be a number from 0 to 1.', 'temperature');
  return { fields, file, model, responseFormat };
}

/**
 * Text fields a transcription form may carry: openai-node 7.60 sends a list (`keywords`,
 * `languages`, `known_speaker_names`, `timestamp_granularities`, `include`) as one repeated
 * `name[]` field an item, so a form of 40 keywords has more fields than the 32 it was allowed;
 * bounded by their bytes together instead.
 */
const MAX_TRANSCRIPTION_FIELDS = 1024;
const MAX_TRANSCRIPTION_FIELD_BYTES = 1024 * 1024;

function fieldsTooLarge(field: string): GatewayError {
  return new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'request_too_large',
    param: field.replace(/\[\]$/, ''),
    message: `The form's text fields are larger than ${MAX_TRANSCRIPTION_FIELD_BYTES / 1024 / 1024} MB together; send fewer or shorter options.`,
  });
}

/** openai-node `TranscriptionCreateParams.timestamp_granularities`: `word` and/or `segment`. */
const GRANULARITIES = ['word', 'segment'];

/** Each `timestamp_granularities[]` value is one OpenAI has, or a 400 naming the field. */
function checkGranularities(fields: readonly [string, string][]): void {
  for (const [name, value] of fields)
    if (
      (name === 'timestamp_granularities[]' || name === 'timestamp_granularities') &&
      !GRANULARITIES.includes(value)
    )
      throw invalidRequest(
        `timestamp_granularities must be "word" and/or "segment" (each its own "timestamp_granularities[]" field); got "${value.slice(0, 40)}".`,
        'timestamp_granularities',
        'invalid_value',
      );
}

function fileTooLarge(): GatewayError {
  return new GatewayError({
    status: 413,
    type: 'invalid_request_error',
    code: 'file_too_large',
    param: 'file',
    message: `The audio file is larger than ${MAX_AUDIO_BYTES / 1024 / 1024} MB (OpenAI's limit).`,
  });
}

/** The multipart parser's errors (too large, too many parts) in the API's own words. */
function formError(err: unknown): unknown {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE') return fileTooLarge();
  if (code === 'FST_FILES_LIMIT')
    return invalidRequest('Send one audio file, in the field "file".', 'file');
  if (isMalformedForm(err))
    return invalidRequest(
      `The multipart form could not be read: ${(err as Error).message}. Send "file", "model" and the options as form fields.`,
      null,
    );
  return err;
}

/** Mounts the speech, transcription and translation paths on `app`, served by `gateway`. */
export async function registerAudioRoutes(
  app: FastifyInstance,
  gateway: MediaGateway,
): Promise<void> {
  const speak = async (request: FastifyRequest, reply: FastifyReply, fromPath?: string) => {
    const body = parseSpeechRequest(request.body, fromPath !== undefined);
    const out = await gateway.speech(namedCall(request, reply, body, fromPath));
    return reply
      .headers(out.headers)
      .header('content-type', out.contentType)
      .send(Readable.from(out.audio, { objectMode: false }));
  };
  type Azure = { Params: { deployment: string }; Querystring: { 'api-version'?: string } };
  for (const p of ['/v1', '/openai/v1', ''])
    app.post(`${p}/audio/speech`, (request, reply) => speak(request, reply));
  for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
    app.post<Azure>(`${prefix}/audio/speech`, (request, reply) => {
      checkApiVersion(request.query['api-version'], optionalVersion);
      return speak(request, reply, request.params.deployment);
    });

  await app.register(async (scope) => {
    await scope.register(multipart, {
      // A longer text field is refused, never cut (formFieldValue).
      limits: {
        fileSize: MAX_AUDIO_BYTES,
        files: 1,
        fields: MAX_TRANSCRIPTION_FIELDS,
        fieldSize: MAX_FORM_FIELD_BYTES,
        parts: MAX_TRANSCRIPTION_FIELDS + 1,
      },
    });
    const transcribe = async (
      request: FastifyRequest,
      reply: FastifyReply,
      operation: 'transcriptions' | 'translations',
      fromPath?: string,
    ) => {
      let form: TranscriptionForm;
      try {
        form = await readTranscriptionForm(request, fromPath !== undefined, operation);
      } catch (err) {
        // Do not read (and drop) the rest of a body that may be large, to keep the connection.
        if (err instanceof GatewayError && err.status === 413) reply.header('connection', 'close');
        throw err;
      }
      const out = await gateway.transcribe(namedCall(request, reply, form, fromPath), operation);
      return reply.headers(out.headers).header('content-type', out.contentType).send(out.body);
    };
    for (const operation of ['transcriptions', 'translations'] as const) {
      for (const p of ['/v1', '/openai/v1', ''])
        scope.post(`${p}/audio/${operation}`, (request, reply) =>
          transcribe(request, reply, operation),
        );
      for (const { prefix, optionalVersion } of AZURE_DEPLOYMENT_PATHS)
        scope.post<Azure>(`${prefix}/audio/${operation}`, (request, reply) => {
          checkApiVersion(request.query['api-version'], optionalVersion);
          return transcribe(request, reply, operation, request.params.deployment);
        });
    }
  });
}
