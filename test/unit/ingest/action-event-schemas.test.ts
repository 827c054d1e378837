import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_EVENT_SCHEMAS } from '../../../lambdas/ingest/action-events/schemas';
import {
  MAX_ACTION_EVENT_PROBLEMS,
  validateActionEvent,
} from '../../../lambdas/ingest/action-events/validate';
import { ACTION_TRIGGERS, type ActionTrigger } from '../../../lambdas/shared/surfaces';
import {
  ActionEventSchemaError,
  buildActionEventSchemas,
  compileActionEventValidators,
} from '../../../scripts/action-event-schemas';
import { SAMPLE_SECRET_VALUE, sampleActionEvent } from '../../support/action-events';

const generated = (name: string): string =>
  readFileSync(new URL(`../../../lambdas/ingest/action-events/${name}`, import.meta.url), 'utf8');

type Json = Record<string, unknown>;

/** A fresh post-login event and its parts, to break one field at a time. */
function postLogin(): { event: Json; at: (field: string) => Json } {
  const event = sampleActionEvent('post-login', { id: 'schema-test' });
  return { event, at: (field) => event[field] as Json };
}

describe('the generated validators', () => {
  it('are what compiling the committed schemas.generated.json gives (npm run gen:action-schemas -- --validators-only)', () => {
    // GIVEN the committed schemas
    const schemas = JSON.parse(generated('schemas.generated.json'));

    // WHEN they are compiled as the generator compiles them
    const { js, dts } = compileActionEventValidators(schemas);

    // THEN the committed validators are that code, and compiling again gives the same bytes
    expect(generated('validators.generated.js')).toBe(js);
    expect(generated('validators.generated.d.ts')).toBe(dts);
    expect(compileActionEventValidators(schemas).js).toBe(js);
  });

  it('import nothing, so ajv stays a build-time tool and bundles nothing into the ingest', () => {
    const js = generated('validators.generated.js');
    expect(js).not.toMatch(/\brequire\s*\(|^\s*import\b|\bfrom\s+["']|\bimport\s*\(/m);
    expect(js).not.toContain('ajv/dist/runtime');
  });

  it('hold one self-contained schema per trigger, without the component refs of the AsyncAPI document', () => {
    expect(Object.keys(ACTION_EVENT_SCHEMAS)).toEqual([...ACTION_TRIGGERS]);
    for (const trigger of ACTION_TRIGGERS) {
      const schema = ACTION_EVENT_SCHEMAS[trigger];
      const text = JSON.stringify(schema);
      expect(text, trigger).not.toContain('#/components/');
      const definitions = Object.keys((schema.definitions ?? {}) as Json);
      for (const [, name] of text.matchAll(/"#\/definitions\/([^"]+)"/g)) expect(definitions).toContain(name);
      expect(schema.additionalProperties, trigger).toBe(true);
    }
  });
});

describe('buildActionEventSchemas', () => {
  const spec = (payload: Json, extra: Json = {}): Json => ({
    channels: Object.fromEntries(
      ACTION_TRIGGERS.map((trigger) => [
        `/auth0/actions/${trigger}`,
        { subscribe: { message: { $ref: '#/components/messages/Event' } } },
      ]),
    ),
    components: {
      messages: { Event: { payload: { $ref: '#/components/schemas/EventObject' } } },
      schemas: {
        EventObject: payload,
        Used: { type: 'object', properties: { nested: { $ref: '#/components/schemas/Nested' } } },
        Nested: { type: 'string', format: 'email', description: 'kept' },
        Unused: { type: 'object' },
        ...extra,
      },
    },
  });

  it('keeps only the definitions a trigger reaches, with local refs, descriptions and formats', () => {
    const schemas = buildActionEventSchemas(
      spec({
        type: 'object',
        description: 'root',
        properties: { used: { $ref: '#/components/schemas/Used' } },
      }),
    );

    expect(schemas['post-login']).toEqual({
      title: 'EventObject',
      type: 'object',
      description: 'root',
      properties: { used: { $ref: '#/definitions/Used' } },
      definitions: {
        Nested: { type: 'string', format: 'email', description: 'kept' },
        Used: { type: 'object', properties: { nested: { $ref: '#/definitions/Nested' } } },
      },
    });
    expect(JSON.stringify(buildActionEventSchemas(spec({ type: 'object' })))).toBe(
      JSON.stringify(buildActionEventSchemas(spec({ type: 'object' }))),
    );
  });

  it('refuses a keyword whose meaning differs between draft-04 and draft-07, naming where it is', () => {
    const build = () => buildActionEventSchemas(spec({ type: 'object', exclusiveMinimum: 0 }));
    expect(build).toThrow(ActionEventSchemaError);
    expect(build).toThrow('#/components/schemas/EventObject/exclusiveMinimum: keyword "exclusiveMinimum"');
  });

  it('refuses to compile a keyword that would make the validators import an ajv runtime module', () => {
    const withMaxLength = {} as Record<ActionTrigger, Json>;
    for (const trigger of ACTION_TRIGGERS) {
      withMaxLength[trigger] = {
        title: 'EventObject',
        type: 'object',
        properties: { name: { type: 'string', maxLength: 3 } },
      };
    }
    expect(() => compileActionEventValidators(withMaxLength)).toThrow('import a module');
  });
});

describe('validateActionEvent', () => {
  it.each(ACTION_TRIGGERS)('accepts the %s event Auth0 sends', (trigger) => {
    expect(validateActionEvent(trigger, sampleActionEvent(trigger))).toEqual([]);
  });

  it('accepts fields the schema does not name, at the top and inside objects (open objects)', () => {
    const { event, at } = postLogin();
    event.added_by_auth0_later = { anything: [1, 'two'] };
    at('user').new_profile_field = 7;
    at('request').new_header = ['x'];

    expect(validateActionEvent('post-login', event)).toEqual([]);
  });

  it('does not check formats: a malformed e-mail address or URI is still a string', () => {
    const { event, at } = postLogin();
    at('user').email = 'not an e-mail address';
    at('user').picture = 'not a uri';

    expect(validateActionEvent('post-login', event)).toEqual([]);
  });

  it('names each wrong field by its path and says what was expected', () => {
    const { event, at } = postLogin();
    at('user').email = 4242;
    at('transaction').requested_scopes = 'openid profile';
    at('transaction').prompt = ['login', 7];
    at('stats').logins_count = -1;
    (at('client').metadata as Json).tier = 3;

    expect(validateActionEvent('post-login', event)).toEqual([
      'client.metadata.tier: must be a string',
      'stats.logins_count: must be >= 0',
      'transaction.prompt[1]: must be a string',
      'transaction.requested_scopes: must be an array',
      'user.email: must be a string',
    ]);
  });

  it('says which types a field with alternatives takes, or what is wrong inside the one it has', () => {
    const { event, at } = postLogin();
    at('transaction').response_type = 5;
    expect(validateActionEvent('post-login', event)).toEqual([
      'transaction.response_type: must be a string or an array',
    ]);

    at('transaction').response_type = ['code', 5];
    expect(validateActionEvent('post-login', event)).toEqual([
      'transaction.response_type[1]: must be a string',
    ]);
  });

  it('refuses an event that is not an object', () => {
    for (const event of [null, [], 'post-login', 42]) {
      expect(validateActionEvent('post-login', event)).toEqual(['(event): must be an object']);
    }
  });

  it('checks the secrets too (values must be strings), naming the secret, not its value', () => {
    const event = sampleActionEvent('credentials-exchange', { overrides: { secrets: { API_KEY: 31337 } } });

    expect(validateActionEvent('credentials-exchange', event)).toEqual(['secrets.API_KEY: must be a string']);
  });

  it(`reports at most ${MAX_ACTION_EVENT_PROBLEMS} problems`, () => {
    const { event, at } = postLogin();
    at('transaction').requested_scopes = Array.from({ length: 50 }, (_, i) => i);

    const problems = validateActionEvent('post-login', event);

    expect(problems).toHaveLength(MAX_ACTION_EVENT_PROBLEMS);
    expect(problems[9]).toBe('transaction.requested_scopes[9]: must be a string');
  });

  it('never quotes a value, a secret or personal data in a problem', () => {
    // GIVEN wrong values that are easy to spot, and the sample's secret and e-mail address
    const { event, at } = postLogin();
    const distinctive = ['918273645', 'scope-zq81-value', '-73311', '55501', 'leak-check-jx42', 'true'];
    at('user').email = 918273645;
    at('transaction').requested_scopes = 'scope-zq81-value';
    at('stats').logins_count = -73311;
    (at('client').metadata as Json).tier = 55501;
    at('user').email_verified = 'leak-check-jx42';
    at('user').name = true;
    at('secrets').OTHER_KEY = { nested: SAMPLE_SECRET_VALUE };

    // WHEN it is validated
    const problems = validateActionEvent('post-login', event);

    // THEN every problem is reported, and none holds a value
    expect(problems).toHaveLength(7);
    const text = problems.join('\n');
    for (const value of [...distinctive, SAMPLE_SECRET_VALUE, 'jane.doe@example.com']) {
      expect(text).not.toContain(value);
    }
  });
});

describe('sampleActionEvent', () => {
  it('gives each call its own transaction id unless asked for the same, and carries the sample secret', () => {
    const [a, b] = [sampleActionEvent('post-login'), sampleActionEvent('post-login')];
    const id = (event: Json) => (event.transaction as Json).id;

    expect(id(a)).not.toBe(id(b));
    expect(id(sampleActionEvent('send-phone-message', { id: 'x' }))).toBe('send-phone-message:x');
    expect(sampleActionEvent('post-login', { id: 'x' })).toEqual(
      sampleActionEvent('post-login', { id: 'x' }),
    );
    for (const trigger of ACTION_TRIGGERS) {
      expect(sampleActionEvent(trigger).secrets).toEqual({ API_KEY: SAMPLE_SECRET_VALUE });
    }
  });
});
