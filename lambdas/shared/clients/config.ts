/**
 * Client settings shared by every SDK client. The endpoint comes from the SDK's own `AWS_ENDPOINT_URL`
 * variable, which local mode and the tests set to point the real clients at an emulator: the local path and
 * the AWS path are one path.
 */
export function usesCustomEndpoint(): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL);
}
