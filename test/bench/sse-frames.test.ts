/**
 * The scale bench's SSE accounting (bench/sse-frames.ts): frames cut at empty lines across chunk
 * boundaries, with their exact byte sizes; keep-alives, CURSOR events and each change kind counted
 * apart; and the raw consumers' watch request being the agent's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { breakdown } from '../../bench/scale-rows.ts';
import { LEGACY_WATCH } from '../../bench/sse-consumer.ts';
import { addTallies, classifyFrame, count, isData, parseFrame, SseSplitter, type Tally, tallySince, totalOf } from '../../bench/sse-frames.ts';

const cursor = 'event: next\ndata: {"data":{"hostChanges":{"type":"CURSOR","revision":7,"generation":"g","change":null}}}\n\n';
const change =
  'event: next\ndata: {"data":{"hostChanges":{"type":"CHANGE","revision":8,"generation":"g","change":{"revision":8,"kind":"container.removed","networkId":"n","committedAt":"2026-12-06T00:00:00.000Z","payload":{}}}}}\n\n';

describe('SseSplitter', () => {
  it('cuts frames across chunk boundaries and sizes each with its delimiter', () => {
    const s = new SseSplitter();
    const body = Buffer.from(`:\n\n${cursor}${change}event: complete\ndata:\n\n`);
    const frames = [...s.push(body.subarray(0, 2)), ...s.push(body.subarray(2, 40)), ...s.push(body.subarray(40, 41)), ...s.push(body.subarray(41))];
    expect(frames.map((f) => f.bytes)).toEqual([3, 106, 213, 23]);
    expect(frames.map((f) => f.bytes).reduce((a, b) => a + b)).toBe(body.length);
    expect(frames[0]).toEqual({ event: null, data: null, comment: true, bytes: 3 });
    expect(frames[3]).toEqual({ event: 'complete', data: '', comment: false, bytes: 23 });
    expect(s.buffered).toBe(0);
  });

  it('keeps an unfinished frame until its empty line arrives', () => {
    const s = new SseSplitter();
    expect(s.push(Buffer.from('event: next\ndata: {"a"'))).toEqual([]);
    expect(s.buffered).toBe(22);
    expect(s.push(Buffer.from(':1}\n\n'))).toEqual([{ event: 'next', data: '{"a":1}', comment: false, bytes: 27 }]);
  });
});

describe('classifyFrame', () => {
  it('names keep-alives, CURSOR, each change kind and the end of the stream', () => {
    expect(classifyFrame(parseFrame(':', 3)).key).toBe('keepalive');
    expect(classifyFrame(parseFrame(cursor.slice(0, -2), 106)).key).toBe('cursor');
    const c = classifyFrame(parseFrame(change.slice(0, -2), 213));
    expect(c.key).toBe('change:container.removed');
    expect(c.event?.change?.revision).toBe(8);
    expect(classifyFrame(parseFrame('event: complete\ndata:', 23)).key).toBe('complete');
    expect(classifyFrame(parseFrame('event: next\ndata: {"errors":[{"message":"no"}]}', 50))).toEqual({ key: 'error', error: 'no' });
  });
});

describe('tallies', () => {
  it('count, add, subtract and total by key', () => {
    const a: Tally = {};
    count(a, 'keepalive', 3);
    count(a, 'change:container.created', 700);
    count(a, 'change:container.created', 710);
    count(a, 'cursor', 111);
    expect(a).toEqual({ keepalive: { frames: 1, bytes: 3 }, 'change:container.created': { frames: 2, bytes: 1410 }, cursor: { frames: 1, bytes: 111 } });
    const before: Tally = { keepalive: { frames: 1, bytes: 3 }, 'change:container.created': { frames: 1, bytes: 700 } };
    expect(tallySince(a, before)).toEqual({ 'change:container.created': { frames: 1, bytes: 710 }, cursor: { frames: 1, bytes: 111 } });
    expect(totalOf(a, isData)).toEqual({ frames: 2, bytes: 1410 });
    expect(addTallies(a, before).keepalive).toEqual({ frames: 2, bytes: 6 });
    expect(breakdown(a)).toBe('change:container.created 705 B × 1.00/change; cursor 111 B × 0.50/change; keepalive 3 B × 0.50/change');
  });
});

describe('the raw consumer', () => {
  it('sends the agent client’s watch query, and the one before the compact host feed to a baseline', () => {
    const consumer = readFileSync(new URL('../../bench/sse-consumer.ts', import.meta.url), 'utf8');
    expect(consumer).toContain("import { WATCH } from '../agent/api/client.ts';");
    expect(LEGACY_WATCH).toContain('generation change { revision');
  });
});
