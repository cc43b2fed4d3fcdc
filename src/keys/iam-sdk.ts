// The IAM client pieces `keys rotate` uses, bundled on their own into
// dist/iam.mjs and imported only by rotate.ts, when a rotation runs.
export { IAMClient, CreateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
