import { Ajv } from 'ajv';
import { Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVENT_STREAM_TYPES } from '../../lambdas/shared/event-stream-types';
import { ACTION_TRIGGERS, actionDetailType, eventDetailType } from '../../lambdas/shared/surfaces';
import { EventSchemas, LogEventSchema } from '../../lib/schema';
import { SAMPLE_SECRET_VALUE, sampleActionEvent } from '../support/action-events';
import { logicalIdOf, type Resource, type Synthesized, synthesize, testApp } from './support';

type Json = Record<string, unknown>;

const SOURCE = 'auth0.logs';

/** The registered schemas by detail-type, with their content parsed. */
function schemasByDetailType(synth: Synthesized): Map<string, { name: string; content: Json }> {
  const resources = Object.values(synth.template.findResources('AWS::EventSchemas::Schema')) as Resource[];
  return new Map(
    resources.map(({ Properties }) => {
      const content = JSON.parse(Properties.Content as string) as Json;
      const detailType = content['x-amazon-events-detail-type'] as string;
      return [detailType, { name: Properties.SchemaName as string, content }];
    }),
  );
}

/** An event as a target receives it, to check a registered schema describes what the ingest publishes. */
const envelope = (detailType: string, detail: Json) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': detailType,
  source: SOURCE,
  account: '111111111111',
  time: '2026-12-03T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

/** A validator for a registered (draft-04) schema: its keywords mean the same to ajv's draft-07. */
function compile(content: Json) {
  const { $schema: _draft04, ...schema } = content;
  return new Ajv({ strict: false, validateFormats: false }).compile(schema);
}

describe('event schema registry', () => {
  let synth: Synthesized;
  let schemas: ReturnType<typeof schemasByDetailType>;
  beforeAll(() => {
    synth = synthesize();
    schemas = schemasByDetailType(synth);
  });
  const contentOf = (detailType: string): Json => {
    const found = schemas.get(detailType);
    if (!found) throw new Error(`no schema registered for ${detailType}`);
    return found.content;
  };

  it('registers the log schema, one per Actions trigger and one per Event Streams type, and no other', () => {
    const expected = [
      'Auth0 log',
      ...ACTION_TRIGGERS.map(actionDetailType),
      ...EVENT_STREAM_TYPES.map((type) => eventDetailType(type)),
    ];

    synth.template.resourceCountIs(
      'AWS::EventSchemas::Schema',
      1 + ACTION_TRIGGERS.length + EVENT_STREAM_TYPES.length,
    );
    expect([...schemas.keys()].sort()).toEqual(expected.sort());
  });

  it('keeps the log schema and the registry under their construct ids, so neither is replaced', () => {
    expect(logicalIdOf(synth.template, 'AWS::EventSchemas::Registry', 'SchemaRegistry')).toMatch(
      /^SchemaRegistry/,
    );
    const logId = logicalIdOf(synth.template, 'AWS::EventSchemas::Schema', 'SchemaAuth0LogSchema');
    expect((synth.template.toJSON().Resources[logId] as Resource).Properties.SchemaName).toBe(
      `${SOURCE}@Auth0Log`,
    );
  });

  it('names each schema <source>@Auth0Action-<trigger> or <source>@Auth0Event-<type>, as EventBridge allows', () => {
    for (const trigger of ACTION_TRIGGERS) {
      expect(schemas.get(actionDetailType(trigger))?.name).toBe(`${SOURCE}@Auth0Action-${trigger}`);
    }
    for (const type of EVENT_STREAM_TYPES) {
      expect(schemas.get(eventDetailType(type))?.name).toBe(`${SOURCE}@Auth0Event-${type}`);
    }
    for (const { name } of schemas.values()) expect(name).toMatch(/^[A-Za-z0-9._@-]{1,385}$/);
  });

  it.each(ACTION_TRIGGERS)('describes the %s event as published: without secrets', (trigger) => {
    // GIVEN the registered schema of the trigger's events
    const content = contentOf(actionDetailType(trigger));
    const properties = content.properties as Record<string, Json>;
    const detailName = String(properties.detail?.$ref).replace('#/definitions/', '');
    const definitions = content.definitions as Record<string, Json>;

    // THEN it is a draft-04 schema of that detail-type and source, whose detail names no secrets
    expect(content).toMatchObject({
      $schema: 'http://json-schema.org/draft-04/schema#',
      'x-amazon-events-source': SOURCE,
      'x-amazon-events-detail-type': actionDetailType(trigger),
    });
    expect(Object.keys(definitions[detailName]?.properties as Json)).not.toContain('secrets');
    expect(Object.keys(definitions[detailName]?.properties as Json)).toContain('tenant');
    expect(Object.keys(definitions)).not.toContain('ActionSecrets');
    expect(JSON.stringify(content)).not.toContain('"secrets"');

    // AND it accepts what the ingest publishes for a real event, and refuses a wrong type
    const { secrets: _stripped, ...published } = sampleActionEvent(trigger);
    const validate = compile(content);
    expect(validate(envelope(actionDetailType(trigger), published)), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate(envelope(actionDetailType(trigger), { ...published, tenant: 'not an object' }))).toBe(
      false,
    );
  });

  it.each(EVENT_STREAM_TYPES.slice())(
    'describes the %s event as a CloudEvent with an open data object',
    (type) => {
      const content = contentOf(eventDetailType(type));
      const validate = compile(content);
      const cloudEvent = {
        id: 'evt_01JEXAMPLE',
        source: 'urn:auth0:example-tenant',
        specversion: '1.0',
        type,
        time: '2026-12-03T10:00:00.000Z',
        dataschema: 'https://example.com/schemas/event.json',
        data: { object: { anything: ['the tenant sends'] } },
      };

      expect(validate(envelope(eventDetailType(type), cloudEvent)), JSON.stringify(validate.errors)).toBe(
        true,
      );
      expect(validate(envelope(eventDetailType(type), { ...cloudEvent, type: 'some.other.type' }))).toBe(
        false,
      );
      expect(validate(envelope(eventDetailType(type), { ...cloudEvent, id: undefined }))).toBe(false);
    },
  );

  it('never puts an Actions secret in the template', () => {
    expect(JSON.stringify(synth.template.toJSON())).not.toContain(SAMPLE_SECRET_VALUE);
  });

  it('refuses an event source a schema name cannot start with, naming the prop', () => {
    const stack = new Stack(testApp(), 'Bad');

    expect(() => new EventSchemas(stack, 'Schemas', { eventSource: 'auth0/logs' })).toThrow(
      /EventSchemas Bad\/Schemas: eventSource must be .*, got "auth0\/logs"/,
    );
  });

  it('still answers to its old name, LogEventSchema', () => {
    const stack = new Stack(testApp(), 'Old');

    expect(new LogEventSchema(stack, 'Schema')).toBeInstanceOf(EventSchemas);
  });
});
