// Responses tools that the client runs, not OpenAI: `shell` with a local environment (openapi.yaml
// `FunctionShellToolParam`) and `apply_patch` (`ApplyPatchToolParam`), which the OpenAI Agents
// SDK sends for its `shellTool()` and `applyPatchTool()`. The model asks (a `shell_call` or
// `apply_patch_call` item), the client runs it and answers with a `shell_call_output` or
// `apply_patch_call_output`. Chat has no such tools, so the bridge offers each as a function of
// the same name whose arguments are the call's `action` (shell) or `operation` (apply_patch), and
// turns the model's calls back into the Responses items (before, both were dropped as hosted tools
// and the agent's model never saw them). A shell with a hosted environment runs at OpenAI: still
// hosted.
import { newId } from '../../core/ids.js';
import { isObject } from '../../core/is-object.js';
import type { ChatRequest } from '../../core/wire-types.js';

type Json = Record<string, unknown>;
type FunctionTool = Extract<NonNullable<ChatRequest['tools']>[number], { type: 'function' }>;
export type LocalToolKind = 'shell' | 'apply_patch';

const SHELL_PARAMETERS = {
  type: 'object',
  properties: {
    commands: {
      type: 'array',
      items: { type: 'string' },
      description: 'Shell commands to run in order, each a command line.',
    },
    timeout_ms: { type: ['integer', 'null'], description: 'Time limit for the commands.' },
    max_output_length: {
      type: ['integer', 'null'],
      description: 'Most characters of output to return.',
    },
  },
  required: ['commands'],
  additionalProperties: false,
};

const APPLY_PATCH_PARAMETERS = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['create_file', 'update_file', 'delete_file'] },
    path: { type: 'string', description: 'The file, relative to the workspace root.' },
    diff: {
      type: 'string',
      description: 'The V4A diff to apply (create_file and update_file); empty for delete_file.',
    },
  },
  required: ['type', 'path', 'diff'],
  additionalProperties: false,
};

const DESCRIPTIONS: Record<LocalToolKind, string> = {
  shell: 'Run shell commands on the local machine and read their output.',
  apply_patch: 'Create, update or delete a file with a V4A diff.',
};

/** The tool's kind when the client runs it; undefined for any other tool. */
export function localToolKind(t: Json): LocalToolKind | undefined {
  if (t.type === 'apply_patch') return 'apply_patch';
  if (t.type !== 'shell') return undefined;
  const env = t.environment;
  return env === undefined || env === null || (isObject(env) && env.type === 'local')
    ? 'shell'
    : undefined;
}

/** A client-run tool as the chat function the model is offered. */
export function localToolAsFunction(kind: LocalToolKind): FunctionTool {
  return {
    type: 'function',
    function: {
      name: kind,
      description: DESCRIPTIONS[kind],
      parameters: kind === 'shell' ? SHELL_PARAMETERS : APPLY_PATCH_PARAMETERS,
    },
  };
}

/**
 * The client-run tool a chat function called in reply to `request` stands for: only when the
 * request offered that tool and no function of the same name (which then is what was called).
 */
export function localToolOf(request: Json, chatName: string): LocalToolKind | undefined {
  if (chatName !== 'shell' && chatName !== 'apply_patch') return undefined;
  const tools = Array.isArray(request.tools) ? request.tools.filter(isObject) : [];
  if (tools.some((t) => t.type === 'function' && t.name === chatName)) return undefined;
  return tools.some((t) => localToolKind(t) === chatName) ? chatName : undefined;
}

function parseObject(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const intOrNull = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/**
 * The `shell_call` or `apply_patch_call` item (openapi.yaml `FunctionShellCall`,
 * `ApplyPatchToolCall`) for a model's call with these JSON arguments; undefined when they do not
 * make one, and the call stays a `function_call` the client can answer with an error.
 */
export function localCallItem(kind: LocalToolKind, callId: string, args: string): Json | undefined {
  const a = parseObject(args);
  if (!a) return undefined;
  if (kind === 'shell') {
    if (!Array.isArray(a.commands) || !a.commands.every((c) => typeof c === 'string'))
      return undefined;
    return {
      type: 'shell_call',
      id: newId('sh_'),
      call_id: callId,
      action: {
        commands: a.commands,
        timeout_ms: intOrNull(a.timeout_ms),
        max_output_length: intOrNull(a.max_output_length),
      },
      environment: { type: 'local' },
      status: 'completed',
    };
  }
  const { type, path, diff } = a;
  if (typeof path !== 'string' || !path) return undefined;
  let operation: Json;
  if (type === 'delete_file') operation = { type, path };
  else if (type === 'create_file' || type === 'update_file')
    operation = { type, path, diff: typeof diff === 'string' ? diff : '' };
  else return undefined;
  return {
    type: 'apply_patch_call',
    id: newId('apc_'),
    call_id: callId,
    operation,
    status: 'completed',
  };
}

/** A `shell_call` or `apply_patch_call` input item → the chat function call it was bridged as. */
export function localCallToChat(item: Json): {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
} {
  const shell = item.type === 'shell_call';
  const args = shell ? item.action : item.operation;
  return {
    id: String(item.call_id ?? item.id ?? ''),
    type: 'function',
    function: { name: shell ? 'shell' : 'apply_patch', arguments: JSON.stringify(args ?? {}) },
  };
}

/**
 * A `shell_call_output` (each command's stdout, stderr and exit code or timeout) or an
 * `apply_patch_call_output` (status and the client's message) as the text of a chat tool message.
 */
export function localOutputText(item: Json): string {
  if (item.type === 'apply_patch_call_output') {
    const status = typeof item.status === 'string' ? item.status : 'completed';
    return typeof item.output === 'string' && item.output ? `${status}: ${item.output}` : status;
  }
  const runs = Array.isArray(item.output) ? item.output.filter(isObject) : [];
  return runs
    .map((run) => {
      const outcome = isObject(run.outcome) ? run.outcome : {};
      const lines = [
        outcome.type === 'timeout' ? 'timed out' : `exit code ${String(outcome.exit_code ?? 0)}`,
      ];
      if (typeof run.stdout === 'string' && run.stdout) lines.push(`stdout:\n${run.stdout}`);
      if (typeof run.stderr === 'string' && run.stderr) lines.push(`stderr:\n${run.stderr}`);
      return lines.join('\n');
    })
    .join('\n\n');
}
