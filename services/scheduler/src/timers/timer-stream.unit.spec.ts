import { describe, expect, it } from 'vitest';
import { MinHeap } from './heap.ts';
import { decodeTimer, encodeTimer, endOf, minuteOf, minuteOfSubject, parkingMinute, startOf, timerSubject } from './timer-stream.ts';

const DAY = 86_400_000;

describe('timer stream addressing', () => {
  const now = Date.parse('2026-11-21T19:31:03.465Z');

  it('parks a timer in the minute it falls due', () => {
    const at = Date.parse('2026-11-22T08:00:30.000Z');
    const m = parkingMinute(at, now, 35 * DAY);
    expect(startOf(m)).toBe(Date.parse('2026-11-22T08:00:00.000Z'));
    expect(endOf(m)).toBe(Date.parse('2026-11-22T08:01:00.000Z'));
    expect(minuteOfSubject(timerSubject(m))).toBe(m);
  });
  it('parks a late timer in the current minute, and one past the horizon at the horizon', () => {
    expect(parkingMinute(now - DAY, now, 35 * DAY)).toBe(minuteOf(now));
    expect(parkingMinute(now + 400 * DAY, now, 35 * DAY)).toBe(minuteOf(now + 35 * DAY));
  });
  it('round-trips timers and rejects anything else', () => {
    const t = { agent_id: 'a', task_id: 't', version: 3, at: now };
    expect(decodeTimer(encodeTimer(t))).toEqual(t);
    expect(decodeTimer(new TextEncoder().encode('{"a":"x"}'))).toBeNull();
    expect(decodeTimer(new TextEncoder().encode('nope'))).toBeNull();
    expect(minuteOfSubject('timers.x')).toBeNull();
  });
});

describe('MinHeap', () => {
  it('pops in key order', () => {
    const h = new MinHeap<number>((n) => n);
    const values = Array.from({ length: 1000 }, () => Math.floor(Math.random() * 10_000));
    for (const v of values) h.push(v);
    const out: number[] = [];
    while (h.size) out.push(h.pop() as number);
    expect(out).toEqual([...values].sort((a, b) => a - b));
  });
});
