// The pieces under files as model input: a file's type from its bytes and name, and the chat
// resolver leaving a request that names no file as it is, without reading the store (the hot path).
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import type { ChatRequest } from '../core/wire-types.js';
import type { BatchStore } from '../store/batch-store.js';
import { createMemoryBatchStore } from '../store/memory/memory-batch-store.js';
import { detectMimeType, isModelInputType } from './file-type.js';
import { chatFileIds, resolveChatFiles } from './resolve-chat-files.js';
import { RouterFiles } from './router-files.js';

describe('detectMimeType', () => {
  it('reads the bytes first, then the name, then the declared type, then text or binary', () => {
    expect(detectMimeType(Buffer.from('%PDF-1.7 …'), 'x.txt')).toBe('application/pdf');
    expect(detectMimeType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 'photo')).toBe('image/jpeg');
    expect(detectMimeType(Buffer.from('GIF89a……'), 'a')).toBe('image/gif');
    expect(detectMimeType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '), 'a')).toBe('image/webp');
    expect(detectMimeType(Buffer.from('a,b\n1,2\n'), 'table.CSV')).toBe('text/csv');
    expect(detectMimeType(Buffer.from('{}'), 'blob', 'application/json')).toBe('application/json');
    expect(detectMimeType(Buffer.from('plain words, ünïcode'), 'notes')).toBe('text/plain');
    expect(detectMimeType(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'a.zip')).toBe(
      'application/octet-stream',
    );
  });

  it('takes PDFs, the four image types and text as model input, nothing else', () => {
    for (const t of [
      'application/pdf',
      'image/png',
      'image/webp',
      'text/markdown',
      'application/json',
    ])
      expect(isModelInputType(t)).toBe(true);
    for (const t of ['application/octet-stream', 'image/tiff', 'application/zip'])
      expect(isModelInputType(t)).toBe(false);
  });
});

describe('resolveChatFiles', () => {
  const unreadable = new Proxy({} as BatchStore, {
    get: () => () => {
      throw new Error('the store was read');
    },
  });
  const files = new RouterFiles(unreadable, createManualClock());

  it('returns a request that names no file as it is, without reading the store', async () => {
    const request = {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ],
        },
      ],
    } as ChatRequest;
    expect(chatFileIds(request)).toBeUndefined();
    expect(await resolveChatFiles(request, 'team-a', files)).toBe(request);
  });

  it('leaves an id that is not the owner’s as it is, and inlines the owner’s', async () => {
    const store = createMemoryBatchStore();
    const clock = createManualClock();
    await store.putFile(
      {
        id: 'file-mine',
        owner: 'team-a',
        purpose: 'user_data',
        filename: 'n.txt',
        bytes: 5,
        createdAt: clock.now(),
        mimeType: 'text/plain',
      },
      Buffer.from('hello'),
    );
    const request = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'file', file: { file_id: 'file-mine' } },
            { type: 'file', file: { file_id: 'file-upstream' } },
          ],
        },
      ],
    } as ChatRequest;
    const resolved = await resolveChatFiles(request, 'team-a', new RouterFiles(store, clock));
    expect(resolved.messages[0]!.content).toEqual([
      { type: 'file', file: { file_data: 'data:text/plain;base64,aGVsbG8=', filename: 'n.txt' } },
      { type: 'file', file: { file_id: 'file-upstream' } },
    ]);
    const asOther = await resolveChatFiles(request, 'team-b', new RouterFiles(store, clock));
    expect(asOther).toBe(request);
  });
});
