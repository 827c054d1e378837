/**
 * Auth0 Action: forwards the trigger's `event` to Auth0 Event Bridge, which puts it on your EventBridge bus
 * as `Auth0 action: <trigger>`, exactly once.
 *
 * Paste this whole file as the code of a custom Action (Auth0 Dashboard → Actions → Library → Create Action →
 * Build from scratch, for any of the eight triggers below), add the two secrets, deploy it, and add it to the
 * trigger's flow. Auth0 calls only the handler of the trigger the Action was created for.
 *
 * Secrets (Action → Secrets):
 *   EVENT_BRIDGE_URL    the ingest URL, e.g. https://abc123.lambda-url.eu-west-1.on.aws (the stack's IngestUrl)
 *   EVENT_BRIDGE_TOKEN  the ingest token (the same one the log stream uses)
 *
 * It never blocks or fails the login: it waits at most TIMEOUT_MS for the bridge, and any error (bridge down,
 * timeout, bad secret) is logged and ignored. The Action's own secrets are never sent.
 */
const TIMEOUT_MS = 1500;

async function forward(trigger, event) {
  const { secrets = {}, ...payload } = event;
  if (!secrets.EVENT_BRIDGE_URL || !secrets.EVENT_BRIDGE_TOKEN) {
    console.log('Event Bridge: set the EVENT_BRIDGE_URL and EVENT_BRIDGE_TOKEN secrets; nothing was sent.');
    return;
  }
  const url = `${secrets.EVENT_BRIDGE_URL.replace(/\/+$/, '')}/actions/${trigger}`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secrets.EVENT_BRIDGE_TOKEN}` },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) console.log(`Event Bridge answered ${response.status} for ${trigger}.`);
  } catch (error) {
    console.log(`Event Bridge: the ${trigger} event was not forwarded (${error.name}).`);
  }
}

exports.onExecutePostLogin = (event) => forward('post-login', event);
exports.onExecuteCredentialsExchange = (event) => forward('credentials-exchange', event);
exports.onExecutePreUserRegistration = (event) => forward('pre-user-registration', event);
exports.onExecutePostUserRegistration = (event) => forward('post-user-registration', event);
exports.onExecutePostChangePassword = (event) => forward('post-change-password', event);
exports.onExecuteSendPhoneMessage = (event) => forward('send-phone-message', event);
exports.onExecutePostChallenge = (event) => forward('password-reset-post-challenge', event);
exports.onExecuteCustomTokenExchange = (event) => forward('custom-token-exchange', event);
