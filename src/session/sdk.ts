// The AWS SDK pieces kops-mfa uses, bundled on their own into dist/sdk.mjs.
// Only sts.ts loads this, with a dynamic import, when an STS call is due: the
// cached path never pays for the SDK.
export { STSClient, AssumeRoleCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
// `keys add`, `keys rotate` and `setup` ask whose keys they hold.
export { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
