import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors.js';
import {
  anthropicAttribution,
  findTagProblem,
  openAiAttribution,
  tagsFromHeader,
  tagsFromMetadata,
} from './attribution.js';

function error400(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    return err as GatewayError;
  }
  throw new Error('expected a 400');
}

describe('attribution: end user and tags of a request', () => {
  it('reads the x-router-tags header: comma-separated, trimmed, empty items ignored', () => {
    expect(tagsFromHeader(undefined)).toEqual([]);
    expect(tagsFromHeader(' search, team=a ,,app:web/v2 ')).toEqual([
      'search',
      'team=a',
      'app:web/v2',
    ]);
    // A header sent twice arrives as an array.
    expect(tagsFromHeader(['a,b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it('refuses a tag it could not record faithfully, naming the header and the tag', () => {
    const space = error400(() => tagsFromHeader('good, has space'));
    expect(space.param).toBe('x-router-tags');
    expect(space.message).toContain('"has space"');
    error400(() => tagsFromHeader('x'.repeat(65)));
    const many = error400(() =>
      tagsFromHeader(Array.from({ length: 17 }, (_, i) => `t${i}`).join(',')),
    );
    expect(many.message).toContain('at most 16');
  });

  it('tells config which tags a request can carry: a header tag, or a metadata pair', () => {
    expect(findTagProblem('nightly-batch')).toBeUndefined();
    expect(findTagProblem('x'.repeat(64))).toBeUndefined();
    // Only metadata can carry these: a space, or more than 64 characters in all.
    expect(findTagProblem('team=nightly batch')).toBeUndefined();
    expect(findTagProblem(`feature=${'v'.repeat(512)}`)).toBeUndefined();
    expect(findTagProblem(`${'k'.repeat(64)}=v`)).toBeUndefined();
    // A metadata key may itself hold `=`: some split must fit both bounds.
    expect(findTagProblem(`a=${'k'.repeat(20)}=${'v'.repeat(512)}`)).toBeUndefined();
    expect(findTagProblem('nightly batch')).toContain(
      'no request can carry the tag "nightly batch"',
    );
    expect(findTagProblem('')).toBeDefined();
    expect(findTagProblem('x'.repeat(65))).toBeDefined();
    expect(findTagProblem(`${'k'.repeat(65)}=v`)).toBeDefined();
    expect(findTagProblem(`feature=${'v'.repeat(513)}`)).toBeDefined();
    // Every tag the header accepts passes, and metadata tags as read pass.
    for (const t of tagsFromHeader('a,b:c/d,e@f+g,h.i_j-k'))
      expect(findTagProblem(t)).toBeUndefined();
    for (const t of tagsFromMetadata({ 'my key': 'any value, with = signs' }))
      expect(findTagProblem(t)).toBeUndefined();
  });

  it("reads OpenAI's metadata as key=value tags, checked as OpenAI checks it", () => {
    expect(tagsFromMetadata({ feature: 'search', team: 'a' })).toEqual([
      'feature=search',
      'team=a',
    ]);
    expect(tagsFromMetadata(null)).toEqual([]);
    expect(error400(() => tagsFromMetadata('x')).param).toBe('metadata');
    expect(error400(() => tagsFromMetadata({ n: 1 })).param).toBe('metadata.n');
    error400(() => tagsFromMetadata({ v: 'x'.repeat(513) }));
    error400(() => tagsFromMetadata({ ['k'.repeat(65)]: 'v' }));
    error400(() =>
      tagsFromMetadata(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))),
    );
  });

  it('an OpenAI body: safety_identifier before user; header and metadata tags without repeats', () => {
    expect(
      openAiAttribution(
        { user: 'old-name', safety_identifier: 'hashed-42', metadata: { team: 'a' } },
        { 'x-router-tags': 'search,team=a' },
      ),
    ).toEqual({ endUser: 'hashed-42', tags: ['search', 'team=a'] });
    expect(openAiAttribution({ user: 'u1' }, {})).toEqual({ endUser: 'u1' });
    expect(openAiAttribution({}, {})).toEqual({});
    expect(error400(() => openAiAttribution({ user: 42 }, {})).param).toBe('user');
    // Kept up to 256 characters.
    expect(openAiAttribution({ user: 'u'.repeat(300) }, {}).endUser).toHaveLength(256);
  });

  it("an Anthropic body: metadata.user_id and the header's tags", () => {
    expect(
      anthropicAttribution({ metadata: { user_id: 'u-123' } }, { 'x-router-tags': 'cli' }),
    ).toEqual({ endUser: 'u-123', tags: ['cli'] });
    expect(anthropicAttribution({}, {})).toEqual({});
    expect(error400(() => anthropicAttribution({ metadata: { user_id: 5 } }, {})).param).toBe(
      'metadata.user_id',
    );
  });

  it("Claude Code's user_id, which names the session too: its account, else its device", () => {
    const as = (user_id: string) => anthropicAttribution({ metadata: { user_id } }, {}).endUser;
    // 2.x: JSON (as captured from Claude Code 2.1.197).
    expect(as('{"device_id":"47a76da2","account_uuid":"","session_id":"a688"}')).toBe(
      'device:47a76da2',
    );
    expect(as('{"device_id":"47a76da2","account_uuid":"9f1c-77","session_id":"b1"}')).toBe(
      'account:9f1c-77',
    );
    // 1.x
    const device = 'ab'.repeat(32);
    expect(as(`user_${device}_account__session_1f2e3d4c-aaaa-bbbb-cccc-0123456789ab`)).toBe(
      `device:${device}`,
    );
    expect(as(`user_${device}_account_5a6b-7c8d_session_1f2e`)).toBe('account:5a6b-7c8d');
    // Anything else as sent.
    expect(as('{"team":"x"}')).toBe('{"team":"x"}');
    expect(as('{not json')).toBe('{not json');
  });
});
