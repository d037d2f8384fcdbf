import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { isEntrySpan, spanCommandName } from './spanCommands.js';

const get = (attrs: Record<string, unknown>) => (key: string) => attrs[key];

describe('isEntrySpan (shared by both span bridges)', () => {
  it('server and consumer spans always; local roots unless client or producer; never a span with a local parent otherwise', () => {
    for (const local of [false, true]) {
      expect(isEntrySpan(SpanKind.SERVER, local)).toBe(true);
      expect(isEntrySpan(SpanKind.CONSUMER, local)).toBe(true);
    }
    expect(isEntrySpan(SpanKind.INTERNAL, false)).toBe(true);
    expect(isEntrySpan(SpanKind.CLIENT, false)).toBe(false);
    expect(isEntrySpan(SpanKind.PRODUCER, false)).toBe(false);
    expect(isEntrySpan(SpanKind.INTERNAL, true)).toBe(false);
    expect(isEntrySpan(SpanKind.CLIENT, true)).toBe(false);
    expect(isEntrySpan(SpanKind.PRODUCER, true)).toBe(false);
  });
});

describe('spanCommandName: http.route, then RPC, then messaging, then the span name', () => {
  it('HTTP server span-name convention: method and route, the route alone without a method', () => {
    expect(spanCommandName('GET', get({ 'http.route': '/users/:id', 'http.request.method': 'GET' }))).toBe('GET /users/:id');
    expect(spanCommandName('x', get({ 'http.route': '/users/:id', 'http.method': 'POST' }))).toBe('POST /users/:id');
    expect(spanCommandName('x', get({ 'http.route': '/u', 'http.request.method': 'PUT', 'http.method': 'POST' }))).toBe('PUT /u');
    expect(spanCommandName('x', get({ 'http.route': '/u', 'http.request.method': '_OTHER' }))).toBe('HTTP /u');
    expect(spanCommandName('GET', get({ 'http.route': '/users/:id' }))).toBe('/users/:id');
    // No route: the method alone is no better than the span name.
    expect(spanCommandName('GET', get({ 'http.request.method': 'GET', 'rpc.method': 'Nope' }))).toBe('Nope');
    expect(spanCommandName('GET', get({ 'http.request.method': 'GET' }))).toBe('GET');
  });

  it('RPC: service/method, or the method alone; route wins over RPC', () => {
    expect(spanCommandName('span', get({ 'rpc.service': 'shop.Orders', 'rpc.method': 'Create' }))).toBe('shop.Orders/Create');
    expect(spanCommandName('span', get({ 'rpc.method': 'Create' }))).toBe('Create');
    expect(spanCommandName('span', get({ 'rpc.service': 'shop.Orders' }))).toBe('span');
    expect(spanCommandName('span', get({ 'rpc.method': 'Create', 'http.route': '/r' }))).toBe('/r');
  });

  it('messaging: operation and destination, or the destination alone; RPC wins over messaging', () => {
    expect(spanCommandName('span', get({ 'messaging.destination.name': 'orders', 'messaging.operation.name': 'process' }))).toBe('process orders');
    expect(spanCommandName('span', get({ 'messaging.destination.name': 'orders', 'messaging.operation': 'receive' }))).toBe('receive orders');
    expect(spanCommandName('span', get({ 'messaging.destination.name': 'orders' }))).toBe('orders');
    expect(spanCommandName('span', get({ 'messaging.destination.name': 'orders', 'rpc.method': 'M' }))).toBe('M');
  });

  it('empty or non-string attributes are absent', () => {
    expect(spanCommandName('span', get({ 'http.route': '', 'rpc.method': 7, 'messaging.destination.name': ['q'] }))).toBe('span');
    expect(spanCommandName('span', get({ 'http.route': '/r', 'http.request.method': '' }))).toBe('/r');
  });
});
