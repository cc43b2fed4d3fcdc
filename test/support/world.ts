// One test world: the local STS server, a throw-away HOME with an AWS profile
// that needs MFA, and the environment a user of it would have.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startStsServer, type StsServer, type StsServerOptions } from '../../scripts/sts-server.ts';
import { tempDir } from './helpers.ts';

export const ACCOUNT = '123456789012';
export const USER = {
  accessKeyId: 'AKIAKOPSMFATESTUSER1',
  secretAccessKey: 'kopsMfaTestSecretKey/0123456789+abcdefgh',
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  mfaSerial: `arn:aws:iam::${ACCOUNT}:mfa/alice`,
};
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/kops-state`;

export interface World {
  server: StsServer;
  home: string;
  /** Environment for kops-mfa: HOME, PATH, the endpoint, SHELL=/bin/bash; nothing else of the host's. */
  env: NodeJS.ProcessEnv;
  /** A fresh valid MFA code for alice's device. */
  code(): string;
  /** Replace ~/.aws/config (and optionally ~/.aws/credentials). */
  writeAws(config: string, credentials?: string): void;
  cacheDir: string;
}

/**
 * One `[profile NAME]` section of ~/.aws/config that assumes ROLE_ARN with
 * alice's MFA device, her keys as the source; then the keys of `more` in
 * order (a key of `more` that is already there replaces its value in place).
 * Join sections with '\n' for a blank line between them.
 */
export function mfaProfile(name: string, more: Record<string, string> = {}): string {
  const keys = { role_arn: ROLE_ARN, mfa_serial: USER.mfaSerial, source_profile: 'alice', ...more };
  return [`[profile ${name}]`, ...Object.entries(keys).map(([k, v]) => `${k} = ${v}`), ''].join('\n');
}

export const DEFAULT_CONFIG = mfaProfile('kops', { region: 'eu-west-1' });
export const DEFAULT_CREDENTIALS = `[alice]
aws_access_key_id = ${USER.accessKeyId}
aws_secret_access_key = ${USER.secretAccessKey}
`;

/** An `issue` hook for world(): the `nth` session the server issues ends `ms`
 * after it is issued; every other one keeps the server's defaults. */
export function nthSessionEndsIn(nth: number, ms: number): NonNullable<StsServerOptions['issue']> {
  let issued = 0;
  return (c) => (++issued === nth ? { expiration: new Date(c.now.getTime() + ms) } : undefined);
}

export async function world(t: TestContext, opts: StsServerOptions = {}): Promise<World> {
  const server = await startStsServer({
    users: [{ ...USER }],
    roles: [{ arn: ROLE_ARN, requireMfa: true, maxSessionDuration: 43200 }],
    ...opts,
  });
  t.after(() => server.close());
  const home = tempDir(t, 'kops-mfa-home-');
  mkdirSync(join(home, '.aws'), { mode: 0o700 });
  const writeAws = (config: string, credentials = DEFAULT_CREDENTIALS) => {
    writeFileSync(join(home, '.aws', 'config'), config);
    writeFileSync(join(home, '.aws', 'credentials'), credentials, { mode: 0o600 });
  };
  writeAws(DEFAULT_CONFIG);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    AWS_ENDPOINT_URL_STS: server.url,
    AWS_PROFILE: 'kops',
  };
  return {
    server,
    home,
    env,
    code: () => server.nextCode(USER.mfaSerial),
    writeAws,
    cacheDir: join(home, '.cache', 'kops-mfa'),
  };
}
