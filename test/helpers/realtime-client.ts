// A Realtime API client on the router, for tests: the session's events kept as they come, parsed;
// `until(type)` waits for the next event of `type` and takes the events up to it off the list;
// `send` sends one event. Resolves once the session is created.
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from './wait-for.js';

export type RealtimeEvent = Record<string, unknown> & { type: string };

export async function openRealtimeClient(url: string) {
  const ws = new WebSocket(url);
  const events: RealtimeEvent[] = [];
  ws.on('message', (d) => void events.push(JSON.parse(String(d)) as RealtimeEvent));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const until = async (type: string): Promise<RealtimeEvent[]> => {
    await waitFor(() => expect(events.map((e) => e.type)).toContain(type));
    return events.splice(0, events.findIndex((e) => e.type === type) + 1);
  };
  const send = (event: object) => ws.send(JSON.stringify(event));
  await until('session.created');
  return { ws, send, until };
}
