// Who a set of credentials read off a shell is: a process of its own (the
// AWS SDK, no kops-mfa) asks the world's STS server.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { World } from './world.ts';

/** The ARN GetCallerIdentity gives for AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN of `vars`. */
export async function callerArn(w: World, vars: Record<string, string>, region = vars.AWS_REGION ?? 'us-east-1'): Promise<string | undefined> {
  const sts = new STSClient({
    region,
    endpoint: w.server.url,
    credentials: {
      accessKeyId: vars.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: vars.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: vars.AWS_SESSION_TOKEN ?? '',
    },
  });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}
