import { describe, expect, it } from 'vitest';
import { parseStartOptions, StartOptionsError, USAGE } from '../../local/options';

/** The environment `npm start` runs its script with: npm sets npm_lifecycle_event. */
const UNDER_NPM = { npm_lifecycle_event: 'start' };

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseStartOptions(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(StartOptionsError);
    return (error as Error).message;
  }
  throw new Error(`parseStartOptions(${JSON.stringify(argv)}) did not refuse`);
}

describe('npm start options', () => {
  it('takes every option, with the environment as the fallback and the defaults last', () => {
    // GIVEN options for some settings and environment variables for others
    const argv = ['--port', '8080', '--token', 'tok', '--bus-name', 'bus', '--verbose'];
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      INGEST_TOKEN: 'not-used',
    };

    // WHEN parsed
    const parsed = parseStartOptions(argv, env);

    // THEN the options win over the environment, which wins over the defaults
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 8080,
        token: 'tok',
        managementToken: expect.stringMatching(/^[\w-]{32}$/),
        awsEndpoint: 'http://127.0.0.1:5000',
        busName: 'bus',
        region: 'eu-west-1',
        verbose: true,
      },
    });
    expect(parseStartOptions([], {})).toMatchObject({
      options: { port: 3000, busName: 'auth0-events', region: 'us-east-1', verbose: false },
    });
    expect(parseStartOptions([], { AWS_ENDPOINT_URL: '' })).not.toHaveProperty('options.awsEndpoint');
  });

  it('answers -h and --help with the usage, which names every option', () => {
    expect(parseStartOptions(['-h'], {})).toEqual({ help: true });
    expect(parseStartOptions(['--help'], {})).toEqual({ help: true });
    expect(parseStartOptions(['--port', '1', '--help'], {})).toEqual({ help: true });
    for (const option of [
      '--port',
      '--token',
      '--management-token',
      '--aws-endpoint',
      '--bus-name',
      '--region',
      '--verbose',
      '-h, --help',
    ]) {
      expect(USAGE).toContain(`  ${option}`);
    }
    expect(USAGE).toContain('npm start -- --port 8080');
  });

  it('names the closest option for a misspelt one', () => {
    expect(refusal(['--prot', '8080'])).toBe(
      'Unknown option --prot. Did you mean --port?\nRun npm start -- --help for the options.',
    );
    expect(refusal(['--bus', 'b'])).toMatch(/^Unknown option --bus\. Did you mean --bus-name\?/);
    expect(refusal(['--managment-token=x'])).toMatch(
      /^Unknown option --managment-token\. Did you mean --management-token\?/,
    );
    expect(refusal(['-p', '8080'])).toMatch(/^Unknown option -p\. Did you mean --port\?/);
    expect(refusal(['--zzzzzzzzzz'])).toMatch(
      /^Unknown option --zzzzzzzzzz\. The options are --port, --token, /,
    );
  });

  it('says that npm took --port when npm start ran without --', () => {
    // `npm start --port 8080`: npm keeps --port as a flag (npm_config_port=true) and hands on only 8080
    expect(refusal(['8080'], { ...UNDER_NPM, npm_config_port: 'true' })).toBe(
      'npm took --port for itself, and passed on only 8080: npm keeps the options before `--`. ' +
        'Run: npm start -- --port 8080\nRun npm start -- --help for the options.',
    );
    // `npm start --port=8080`: npm keeps the value, and nothing reaches us
    expect(refusal([], { ...UNDER_NPM, npm_config_port: '8080' })).toMatch(
      /^npm took --port for itself: .* Run: npm start -- --port 8080\n/,
    );
  });

  it('never echoes a token npm took, and names --token that npm expanded to --token-description', () => {
    const message = refusal([], { ...UNDER_NPM, npm_config_token_description: 'my-secret-token' });
    expect(message).toMatch(/^npm took --token for itself: .* Run: npm start -- --token <value>\n/);
    expect(message).not.toContain('my-secret-token');
    const management = refusal(['my-secret'], { ...UNDER_NPM, npm_config_management_token: 'true' });
    expect(management).toContain('Run: npm start -- --management-token <value>');
    expect(management).not.toContain('my-secret');
  });

  it('lists every option npm took, and ignores npm_config_* outside npm start or for options given after --', () => {
    expect(
      refusal(['b', 'r'], { ...UNDER_NPM, npm_config_bus_name: 'true', npm_config_region: 'true' }),
    ).toMatch(
      /^npm took --bus-name, --region for itself, .* Run: npm start -- --bus-name <value> --region <value>\n/,
    );
    expect(parseStartOptions([], { npm_lifecycle_event: 'test', npm_config_port: '8080' })).toMatchObject({
      options: { port: 3000 },
    });
    expect(parseStartOptions(['--port', '9'], { ...UNDER_NPM, npm_config_port: '8080' })).toMatchObject({
      options: { port: 9 },
    });
  });

  it('refuses words that are not options, a missing value and a bad port, saying what it got', () => {
    expect(refusal(['8080'], UNDER_NPM)).toMatch(/^npm start takes options only, and got 8080\.\n/);
    expect(refusal(['--port'])).toMatch(/--port <value>' argument missing/);
    expect(refusal(['--port', '70000'])).toMatch(
      /^--port must be a port number from 0 to 65535, got "70000"\./,
    );
    expect(refusal([], { PORT: 'abc' })).toMatch(/got "abc"/);
    expect(refusal(['--management-token', 'has space'])).toMatch(/printable ASCII without spaces/);
    expect(refusal(['--management-token', 'has space'])).not.toContain('has space');
  });
});
