/**
 * The Custom Webhook log stream the bridge wants, and what it takes to get there from what the tenant has:
 * create, update (PATCH) or nothing. No I/O: `a0bridge auth0` reads the tenant and sends what this decides.
 *
 * What the Management API takes (auth0-management-log-streams-openapi.yml): a create body holds `name`,
 * `type`, `sink` (and `isPriority`, `filters`, `pii_config`, `startFrom`), never `status`; a PATCH body holds
 * `name`, `status`, `sink` (and `isPriority`, `filters`, `pii_config`), never `type`. An `http` sink is
 * `httpEndpoint` (required, `https://` only), `httpAuthorization`, `httpContentFormat`, `httpContentType` and
 * `httpCustomHeaders`, the same on create and on PATCH, so a PATCH repeats the endpoint even when only the
 * token changes.
 */
import { type Auth0Domain, domainArgument } from './auth0-api';
import { isLoopback, UsageError } from './client';
import { shellWord } from './common';

export const DEFAULT_STREAM_NAME = 'auth0-event-bridge';
export const CONTENT_TYPE = 'application/json';
export const CONTENT_FORMATS = ['JSONARRAY', 'JSONLINES', 'JSONOBJECT'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];
export type StreamStatus = 'active' | 'paused' | 'suspended';

/** A log stream as Auth0 returns it; fields other than these are kept but not read. */
export interface LogStream {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly status: StreamStatus;
  readonly sink?: Readonly<Record<string, unknown>>;
  readonly filters?: readonly { readonly type?: string; readonly name?: string }[];
}

export interface HttpSink {
  readonly httpEndpoint: string;
  readonly httpAuthorization: string;
  readonly httpContentFormat: ContentFormat;
  readonly httpContentType: string;
}

/** The stream the bridge needs: its name, and a sink pointing at the ingest URL with the token. */
export interface WantedStream {
  readonly name: string;
  readonly sink: HttpSink;
}

export interface Change {
  readonly field: 'endpoint' | 'authorization' | 'format' | 'content type' | 'status';
  readonly from: string | undefined;
  readonly to: string;
}

export type Plan =
  | {
      readonly action: 'create';
      readonly body: { readonly name: string; readonly type: 'http'; readonly sink: HttpSink };
    }
  | {
      readonly action: 'update';
      readonly stream: LogStream;
      readonly body: { readonly status?: 'active'; readonly sink?: HttpSink };
      readonly changes: readonly Change[];
    }
  | { readonly action: 'none'; readonly stream: LogStream };

/** `jsonarray`, `JSONLines`, … → the API's spelling. */
export function parseContentFormat(input: string | undefined): ContentFormat {
  if (input === undefined) return 'JSONARRAY';
  const format = CONTENT_FORMATS.find((candidate) => candidate === input.toUpperCase());
  if (!format) {
    throw new UsageError(
      `--format must be one of ${CONTENT_FORMATS.join(', ')} (JSONARRAY is recommended), got ${JSON.stringify(input)}.`,
    );
  }
  return format;
}

/** The ingest URL Auth0 should post to: an absolute http(s) URL without credentials. */
export function parseIngestUrl(input: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(
      `${from} must be the ingest URL, such as https://<id>.lambda-url.<region>.on.aws/ (the IngestUrl output), got ${JSON.stringify(input)}.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${from} must be an https:// URL, got ${url.protocol.replace(':', '')}.`);
  }
  if (url.username || url.password) {
    // Not echoed: the user part may be a credential.
    throw new UsageError(
      `${from} must not hold a user or password: the ingest token is sent as the Authorization header.`,
    );
  }
  return url;
}

/** What to tell the user before connecting a tenant to `url`: why Auth0 may refuse it or fail to reach it. */
export function ingestUrlWarnings(url: URL, domain: Auth0Domain): string[] {
  const warnings: string[] = [];
  const tunnel =
    'put an https tunnel in front of the local stack (e.g. cloudflared tunnel --url http://127.0.0.1:3000, or ngrok http 3000) and pass its URL with --url, and --local to keep the local ingest token';
  const unreachable = isLoopback(url.hostname) && !domain.loopback;
  if (unreachable) {
    warnings.push(
      `The ingest URL ${url.href} is on this machine: Auth0's servers cannot reach your laptop${url.protocol === 'http:' ? ', and a real tenant takes https:// endpoints only' : ''}; ${tunnel}.`,
    );
  } else if (url.protocol === 'http:') {
    warnings.push(
      `The ingest URL ${url.href} is http: Auth0 sends log streams to https:// endpoints only, so a real tenant refuses it; ${isLoopback(url.hostname) ? tunnel : 'use the https:// URL'}.`,
    );
  }
  if (/\/(events|actions(\/[^/]*)?)\/?$/.test(url.pathname)) {
    warnings.push(
      `The ingest URL ends in ${url.pathname}, the path for ${url.pathname.includes('events') ? 'Event Streams' : 'Actions events'}: a log stream posts to the root of the ingest URL (${url.origin}/).`,
    );
  }
  return warnings;
}

/**
 * The stream named `name`, if the tenant has one. Refuses a name that two streams share, or that belongs to a
 * stream of another type (an EventBridge stream cannot become a webhook).
 */
export function findStream(streams: readonly LogStream[], name: string): LogStream | undefined {
  const named = streams.filter((stream) => stream.name === name);
  if (named.length > 1) {
    throw new UsageError(
      `${named.length} log streams are named ${JSON.stringify(name)} (${named.map((stream) => stream.id).join(', ')}); a0bridge cannot tell which to change. Rename or delete all but one in the Auth0 Dashboard (Monitoring > Streams), or pick another --name.`,
    );
  }
  const [stream] = named;
  if (stream && stream.type !== 'http') {
    throw new UsageError(
      `The log stream ${JSON.stringify(name)} (${stream.id}) is of type ${stream.type}, not a Custom Webhook (http); pick another --name.`,
    );
  }
  return stream;
}

/**
 * Create when there is no stream, else PATCH what differs: the whole sink when any of its fields differs,
 * and `status: active` when `resume` is asked and the stream is not active. Filters and other settings made in
 * the Dashboard are left alone.
 */
export function planConnect(existing: LogStream | undefined, wanted: WantedStream, resume: boolean): Plan {
  if (!existing) return { action: 'create', body: { name: wanted.name, type: 'http', sink: wanted.sink } };
  const sink = existing.sink ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const changes: Change[] = [];
  const compare = (field: Change['field'], from: string | undefined, to: string) => {
    if (from !== to) changes.push({ field, from, to });
  };
  compare('endpoint', text(sink.httpEndpoint), wanted.sink.httpEndpoint);
  compare('authorization', text(sink.httpAuthorization), wanted.sink.httpAuthorization);
  compare('format', text(sink.httpContentFormat), wanted.sink.httpContentFormat);
  compare('content type', text(sink.httpContentType), wanted.sink.httpContentType);
  const sinkChanges = changes.length > 0;
  if (resume && existing.status !== 'active') compare('status', existing.status, 'active');
  if (changes.length === 0) return { action: 'none', stream: existing };
  return {
    action: 'update',
    stream: existing,
    body: {
      ...(resume && existing.status !== 'active' ? { status: 'active' as const } : {}),
      ...(sinkChanges ? { sink: wanted.sink } : {}),
    },
    changes,
  };
}

/** A change as a row; the authorization header is never shown, only whether it changes. */
export function describeChange(change: Change): [string, string] {
  if (change.field === 'authorization') {
    return [
      change.field,
      change.from === undefined
        ? 'set to Bearer <the ingest token> (not shown)'
        : 'replaced with Bearer <the ingest token> (neither shown)',
    ];
  }
  return [change.field, `${change.from ?? '(none)'} → ${change.to}`];
}

/** The rows of a sink, without its authorization value. */
export function describeSink(sink: Readonly<Record<string, unknown>> | undefined): [string, string][] {
  const value = (key: string) => (typeof sink?.[key] === 'string' ? (sink[key] as string) : '(none)');
  return [
    ['endpoint', value('httpEndpoint')],
    ['format', value('httpContentFormat')],
    ['content type', value('httpContentType')],
    ['authorization', typeof sink?.httpAuthorization === 'string' ? 'set (not shown)' : '(none)'],
  ];
}

/**
 * A stream as `--json` prints it: the authorization header and custom header values replaced, since Auth0
 * returns them as they were set.
 */
export function redactStream<T extends LogStream | undefined>(stream: T): T {
  if (!stream?.sink) return stream;
  const sink: Record<string, unknown> = { ...stream.sink };
  if (sink.httpAuthorization !== undefined) sink.httpAuthorization = '(not shown)';
  if (Array.isArray(sink.httpCustomHeaders)) {
    sink.httpCustomHeaders = sink.httpCustomHeaders.map((header: unknown) =>
      typeof header === 'object' && header !== null ? { ...header, value: '(not shown)' } : header,
    );
  }
  return { ...stream, sink };
}

/** What a stream's status means for delivery, and how to get it delivering again. */
export function statusAdvice(stream: LogStream, domain: Auth0Domain): string | undefined {
  const resume = `a0bridge auth0 connect --domain ${shellWord(domainArgument(domain))}${stream.name === DEFAULT_STREAM_NAME ? '' : ` --name ${shellWord(stream.name)}`} --resume`;
  if (stream.status === 'suspended') {
    return `Auth0 suspended the stream after repeated delivery failures and sends it nothing until it is active again. Check that the ingest URL answers (the ingest-5xx alarm, the function's logs), then re-activate it: ${resume}`;
  }
  if (stream.status === 'paused') {
    return `The stream is paused (switched off in the Dashboard or the API) and sends nothing. Re-activate it: ${resume}`;
  }
  return undefined;
}
