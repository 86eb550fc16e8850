import { EVENT_REGISTRY, EVENTS, type EventRegistry } from '@realtoros/contracts';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from './errors.ts';
import { decodeEvent, newEvent, storableText } from './events.ts';

const AGENT = '0190a000-0000-7000-8000-000000000001';
const CLIENT = '0190a000-0000-7000-8000-0000000000c1';
const at = '2026-11-21T10:00:00.000Z';
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A stored ClientUnsubscribed as today's code writes it (schema 1). */
const v1 = newEvent('ClientUnsubscribed', {
  agentId: AGENT,
  aggregateId: CLIENT,
  correlationId: 'c',
  causationId: null,
  data: { source: 'webhook', at },
});

/**
 * A hypothetical v2 of ClientUnsubscribed: `channel` becomes required. Old events are read
 * through the upcaster 1 → 2 (a webhook unsubscribe came from the provider, a link from email).
 */
const ClientUnsubscribedV2 = Type.Object({
  source: Type.Union([Type.Literal('link'), Type.Literal('webhook'), Type.Literal('agent')]),
  at: Type.String(),
  channel: Type.Union([Type.Literal('email'), Type.Literal('provider'), Type.Literal('dashboard')]),
});
const channelOf = { link: 'email', webhook: 'provider', agent: 'dashboard' } as const;
const v2Registry: EventRegistry = {
  events: { ...EVENTS, ClientUnsubscribed: { schema: ClientUnsubscribedV2, version: 2 } },
  upcasters: {
    ClientUnsubscribed: { 1: (d) => ({ ...(d as object), channel: channelOf[(d as { source: keyof typeof channelOf }).source] }) },
  },
};

describe('event schema versions and upcasting', () => {
  it("newEvent stamps the event type's current version (1 for every event today)", () => {
    expect(v1.schema).toBe(EVENTS.ClientUnsubscribed.version);
    expect(v1.schema).toBe(1);
    expect(decodeEvent(bytes(v1))).toEqual(v1);
  });

  it('a v1 event stored before a v2 existed is read as v2 through the upcaster, and validated as v2', () => {
    const read = decodeEvent(bytes(v1), v2Registry);
    expect(read.schema).toBe(2);
    expect(read.data).toEqual({ source: 'webhook', at, channel: 'provider' });
    expect({ ...read, schema: 1, data: v1.data }).toEqual(v1); // the envelope is untouched
  });

  it('a v2 event is read as it is', () => {
    const stored = { ...v1, schema: 2, data: { source: 'link', at, channel: 'email' } };
    expect(decodeEvent(bytes(stored), v2Registry)).toEqual(stored);
  });

  it('refuses what it cannot read faithfully: a newer version, a missing step, an upcast that does not fit the schema', () => {
    expect(() => decodeEvent(bytes({ ...v1, schema: 3 }), v2Registry)).toThrow(PoisonMessageError);
    expect(() => decodeEvent(bytes({ ...v1, schema: 2 }), EVENT_REGISTRY)).toThrow(/newer than the 1/);
    expect(() => decodeEvent(bytes(v1), { ...v2Registry, upcasters: {} })).toThrow(/no upcaster from schema 1 to 2/);
    const broken: EventRegistry = { ...v2Registry, upcasters: { ClientUnsubscribed: { 1: (d) => d } } };
    expect(() => decodeEvent(bytes(v1), broken)).toThrow(/ClientUnsubscribed data invalid/);
  });

  it('text in event data must be storable: a NUL is refused on write and on read', () => {
    const nul = { agentId: AGENT, aggregateId: CLIENT, correlationId: 'c', causationId: null, data: { changes: { notes: 'a\u0000b' } } };
    expect(() => newEvent('ClientUpdated', nul)).toThrow(PoisonMessageError);
    const stored = {
      ...newEvent('ClientUpdated', { ...nul, data: { changes: { notes: 'ok' } } }),
      data: { changes: { notes: 'a\u0000b' } },
    };
    expect(() => decodeEvent(bytes(stored))).toThrow(/ClientUpdated data invalid: \/changes\/notes/);
    const lone = { ...stored, data: { changes: { name: 'x\ud800y' } } };
    expect(() => decodeEvent(bytes(lone))).toThrow(PoisonMessageError);
  });

  it('storableText makes outside text storable (lone surrogate → U+FFFD, NUL written out as \\u0000), keeps emoji', () => {
    expect(storableText('a\u0000b\ud800c 🏡')).toBe('a\\u0000b\ufffdc 🏡');
  });
});
