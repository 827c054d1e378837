/**
 * The CDK app: one stack, configured through context (`npx cdk deploy -c busName=… -c alarmEmail=…`, see
 * lib/context.ts for every key) and through config/routes.ts for the routes. cdk-nag's AwsSolutions checks
 * run on every synth and fail it on any unacknowledged finding.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Auth0EventBridgeStack } from '../lib/auth0-event-bridge-stack';
import { settingsFromContext } from '../lib/context';

const app = new App();
const { stackName, props } = settingsFromContext(app.node);
new Auth0EventBridgeStack(app, stackName, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
