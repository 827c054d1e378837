import { describe, expect, it } from 'vitest';
import { emulator } from '../support/aws';

describe('test harness', () => {
  it('provides a moto endpoint on loopback', async () => {
    const { endpoint } = emulator();
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${endpoint}/moto-api/`)).status).toBe(200);
  });
});
