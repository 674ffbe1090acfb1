// Anthropic's tools that the client runs but Anthropic defines (schema-less in the request: a
// versioned `type` and a fixed `name`; Claude is trained on their input): bash (`bash_20241022`,
// `bash_20250124`), the text editor (`text_editor_20241022`, `_20250124`: `str_replace_editor`;
// `_20250429`, `_20250728`: `str_replace_based_edit_tool`) and memory (`memory_20250818`). Served
// on /v1/messages by any model: Claude gets the tool as the client sent it (private
// ANTHROPIC_TOOL_FIELD on the chat tool), every other model a function with the input Claude
// sends, written out, so the client's code that runs Claude's calls runs theirs. The calls come
// back as `tool_use` blocks, as a client tool's do. Anthropic's docs describe each tool's commands
// (https://docs.claude.com/en/docs/agents-and-tools/tool-use/text-editor-tool, bash-tool,
// memory-tool); the 2025-07-28 editor's `insert` takes `insert_text`, which is what Claude 4 sends
// (its docs say `new_str`: anthropic-sdk-python issue 1155), the older editors' `new_str`.
// Computer use (screenshots and a display) and code execution (run at Anthropic) stay refused.
import { ANTHROPIC_TOOL_FIELD } from '../../core/wire-types.js';

type Json = Record<string, unknown>;

const str = (description: string) => ({ type: 'string', description });
const PATH = str('Absolute path to the file or directory.');
const VIEW_RANGE = {
  type: 'array',
  items: { type: 'integer' },
  description:
    'For view on a file: [start, end] lines (1-indexed; end -1 reads to the end). Whole file if left out.',
};

function editor(commands: string[], insertField: 'new_str' | 'insert_text'): Json {
  return {
    description:
      'View, create and edit text files. view: a file with line numbers, or a directory listing. create: a new file with file_text. str_replace: replace old_str, which must occur exactly once, with new_str. insert: insert text after line insert_line (0: the start).' +
      (commands.includes('undo_edit') ? ' undo_edit: revert the last edit of the file.' : ''),
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string', enum: commands },
        path: PATH,
        file_text: str('create: the content of the new file.'),
        old_str: str('str_replace: the exact text to replace.'),
        new_str: str(
          insertField === 'new_str'
            ? 'str_replace: the replacement text; insert: the text to insert.'
            : 'str_replace: the replacement text.',
        ),
        ...(insertField === 'insert_text'
          ? { insert_text: str('insert: the text to insert.') }
          : {}),
        insert_line: { type: 'integer', description: 'insert: the line after which to insert.' },
        view_range: VIEW_RANGE,
      },
      required: ['command', 'path'],
    },
  };
}

const OLD_EDITOR = editor(['view', 'create', 'str_replace', 'insert', 'undo_edit'], 'new_str');

/** Each tool type: the name Anthropic requires and the function other models get. */
const TOOLS: Record<string, { name: string; fn: Json }> = {
  bash_20241022: { name: 'bash', fn: bashFunction() },
  bash_20250124: { name: 'bash', fn: bashFunction() },
  text_editor_20241022: { name: 'str_replace_editor', fn: OLD_EDITOR },
  text_editor_20250124: { name: 'str_replace_editor', fn: OLD_EDITOR },
  text_editor_20250429: {
    name: 'str_replace_based_edit_tool',
    fn: editor(['view', 'create', 'str_replace', 'insert'], 'new_str'),
  },
  text_editor_20250728: {
    name: 'str_replace_based_edit_tool',
    fn: editor(['view', 'create', 'str_replace', 'insert'], 'insert_text'),
  },
  memory_20250818: {
    name: 'memory',
    fn: {
      description:
        'Your memory directory, /memories, kept across conversations: check it before a task, and record what you learn as you go. view: a directory listing or a file with line numbers. create: a file with file_text. str_replace: replace old_str with new_str. insert: insert_text after line insert_line. delete: a file or directory. rename: old_path to new_path.',
      parameters: {
        type: 'object',
        properties: {
          command: {
            type: 'string',
            enum: ['view', 'create', 'str_replace', 'insert', 'delete', 'rename'],
          },
          path: str('The path, under /memories.'),
          file_text: str('create: the content of the file.'),
          old_str: str('str_replace: the exact text to replace.'),
          new_str: str('str_replace: the replacement text.'),
          insert_line: { type: 'integer', description: 'insert: the line after which to insert.' },
          insert_text: str('insert: the text to insert.'),
          view_range: VIEW_RANGE,
          old_path: str('rename: the current path.'),
          new_path: str('rename: the new path.'),
        },
        required: ['command'],
      },
    },
  },
};

function bashFunction(): Json {
  return {
    description:
      'Run a command in a persistent bash shell (state is kept between calls). restart: true starts a new shell.',
    parameters: {
      type: 'object',
      properties: {
        command: str('The bash command to run.'),
        restart: { type: 'boolean', description: 'Restart the shell.' },
      },
    },
  };
}

/** Whether the tool is one of these (by its `type`). */
export function isAnthropicDefinedTool(t: Json): boolean {
  return typeof t.type === 'string' && Object.hasOwn(TOOLS, t.type);
}

/** The name Anthropic requires for the tool's type, for a 400 that says what to send. */
export function requiredName(type: string): string | undefined {
  return TOOLS[type]?.name;
}

/** The tool as a chat function tool, the client's own definition kept for Claude. */
export function definedToolAsFunction(t: Json): Json {
  const { fn } = TOOLS[String(t.type)]!;
  return {
    type: 'function',
    function: { name: String(t.name), ...fn },
    [ANTHROPIC_TOOL_FIELD]: t,
  };
}
