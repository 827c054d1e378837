import { describe, expect, it } from 'vitest';
import { formatRoutedEvent, toRoutedEvent } from '../../local/live-view';

const NOW = new Date('2026-11-22T10:11:12.000Z');
const body = (detailType: string, detail: unknown) =>
  JSON.stringify({ version: '0', id: 'e-1', 'detail-type': detailType, source: 'auth0.logs', detail });
const line = (routeId: string, detailType: string, detail: unknown) =>
  formatRoutedEvent(toRoutedEvent(routeId, body(detailType, detail)), NOW);

describe('live view lines', () => {
  it('shows a log event as before: code, name, who, where from, category and log_id', () => {
    const detail = {
      log_id: 'log-1',
      data: { type: 'fp', user_name: 'jane@example.com', ip: '203.0.113.9' },
      category: 'auth.login.fail',
    };
    expect(line('failed-logins', 'Auth0 log', detail)).toBe(
      '10:11:12  failed-logins            fp         Failed Login (Incorrect Password) by jane@example.com from 203.0.113.9  [auth.login.fail] log_id=log-1',
    );
  });

  it('shows an Actions event by trigger, user id and email, and transaction id', () => {
    const detail = {
      user: { user_id: 'auth0|alice', email: 'alice@example.com' },
      transaction: { id: 'tx-1' },
      request: { ip: '198.51.100.4' },
    };
    expect(line('logins', 'Auth0 action: post-login', detail)).toBe(
      '10:11:12  logins                   post-login user auth0|alice <alice@example.com> from 198.51.100.4  [action] transaction=tx-1',
    );
  });

  it('shows an Actions event with no user by its client, and says when there is no transaction', () => {
    const detail = { client: { client_id: 'c-1', name: 'Billing' } };
    expect(toRoutedEvent('m2m', body('Auth0 action: credentials-exchange', detail))).toEqual({
      routeId: 'm2m',
      type: 'credentials-exchange',
      summary: 'client Billing',
      reference: '[action] transaction=-',
    });
  });

  it('shows an Event Streams event by type, id and the user id of its object', () => {
    const detail = {
      id: 'evt_1',
      type: 'user.created',
      specversion: '1.0',
      data: { object: { user_id: 'auth0|carol', email: 'carol@example.com' } },
    };
    expect(line('new-users', 'Auth0 event: user.created', detail)).toBe(
      '10:11:12  new-users                user.created user auth0|carol  [event] id=evt_1',
    );
  });

  it('shows an Event Streams event without a user by the id of its object', () => {
    const detail = { id: 'evt_2', type: 'organization.created', data: { object: { id: 'org_1' } } };
    expect(toRoutedEvent('orgs', body('Auth0 event: organization.created', detail))).toMatchObject({
      summary: 'object org_1',
      reference: '[event] id=evt_2',
    });
  });

  it('never prints secrets, nested objects or control characters, whatever the detail holds', () => {
    // GIVEN an Actions event that still carries secrets, and values that are not plain text
    const detail = {
      secrets: { API_KEY: 'sk_live_do_not_print' },
      user: { user_id: { nested: 'sk_live_do_not_print' }, email: 'eve@example.com\u001b[2J' },
      transaction: { id: ['sk_live_do_not_print'] },
    };
    // WHEN it is shown
    const shown = line('logins', 'Auth0 action: post-login', detail);
    // THEN
    expect(shown).not.toContain('sk_live_do_not_print');
    expect(shown).not.toContain('\u001b');
    expect(shown).toContain('user eve@example.com?[2J');
    expect(shown).toContain('[action] transaction=-');
  });
});
