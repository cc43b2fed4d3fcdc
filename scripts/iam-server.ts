// The IAM part of the project's test server (scripts/sts-server.ts): the
// access-key actions `keys rotate` uses, in IAM's Query protocol (form POST,
// Version 2010-05-08, XML in the IAM namespace), signed with SigV4 for
// service `iam`. As in AWS: a user has at most two keys (LimitExceeded), a
// call with session credentials must carry the MFA context, and a new key
// may work only after a while (eventual consistency, modelled as "after N
// more requests" or "after N ms").
import type { StsUser } from './sts-server.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_ACTIONS = new Set(['CreateAccessKey', 'DeleteAccessKey', 'ListAccessKeys']);

/** The service a request must be signed for. */
export function signingService(action: string): 'iam' | 'sts' {
  return IAM_ACTIONS.has(action) ? 'iam' : 'sts';
}

/** IAM's users are the STS server's: the same keys sign both. */
type IamUser = StsUser;

export interface IamCaller {
  kind: 'user' | 'session';
  arn: string;
  mfa: boolean;
  assumedRole: boolean;
  sourceUser: IamUser;
}

export interface IamOptions {
  /** A new key signs only after this many more requests to the server (default 0). */
  newKeyAfterRequests?: number;
  /** …or after this many ms (default 0). */
  newKeyAfterMs?: number;
}

export class IamError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the server gives this module: its user table and its request counter. */
export interface IamHost {
  users: Map<string, IamUser>;
  addUser(u: IamUser): unknown;
  requests(): number;
  now(): Date;
  randomKeyId(): string;
  randomSecret(): string;
}

export interface Iam {
  readonly options: IamOptions;
  /** Keys created and not yet visible: they become users when their time comes. */
  tick(): void;
  handle(caller: IamCaller, params: Record<string, string>): string;
  /** Every key of this user ARN, pending ones included. */
  keysOf(userArn: string): Array<{ accessKeyId: string; status: 'Active' | 'Pending' }>;
}

export function createIam(host: IamHost, options: IamOptions = {}): Iam {
  const pending: Array<{ user: IamUser; afterRequest: number; afterTime: number; created: Date }> = [];
  const created = new Map<string, Date>();

  function tick(): void {
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      if (host.requests() >= p.afterRequest && host.now().getTime() >= p.afterTime) {
        host.addUser(p.user);
        pending.splice(i, 1);
      }
    }
  }

  function keysOf(userArn: string) {
    const active = [...host.users.values()].filter((u) => u.arn === userArn).map((u) => ({ accessKeyId: u.accessKeyId, status: 'Active' as const }));
    const waiting = pending.filter((p) => p.user.arn === userArn).map((p) => ({ accessKeyId: p.user.accessKeyId, status: 'Pending' as const }));
    return [...active, ...waiting];
  }

  function userName(arn: string): string {
    return arn.split('/').pop() ?? arn;
  }

  function handle(caller: IamCaller, params: Record<string, string>): string {
    if (caller.assumedRole) throw new IamError(403, 'AccessDenied', `User: ${caller.arn} is not authorized to manage the access keys of a user`);
    // AWS: no IAM call with GetSessionToken credentials unless they carry MFA.
    if (caller.kind === 'session' && !caller.mfa) {
      throw new IamError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid (no MFA: IAM needs MFA with session credentials)');
    }
    const user = caller.sourceUser;
    if (params.UserName !== undefined && params.UserName !== userName(user.arn)) {
      throw new IamError(403, 'AccessDenied', `User: ${caller.arn} is not authorized to perform: iam:${params.Action} on another user`);
    }
    const name = userName(user.arn);
    switch (params.Action) {
      case 'ListAccessKeys':
        return (
          `  <ListAccessKeysResult>\n    <IsTruncated>false</IsTruncated>\n    <AccessKeyMetadata>\n` +
          keysOf(user.arn)
            .map(
              (k) =>
                `      <member>\n        <UserName>${name}</UserName>\n        <AccessKeyId>${k.accessKeyId}</AccessKeyId>\n` +
                `        <Status>Active</Status>\n        <CreateDate>${(created.get(k.accessKeyId) ?? new Date(0)).toISOString()}</CreateDate>\n      </member>\n`,
            )
            .join('') +
          `    </AccessKeyMetadata>\n  </ListAccessKeysResult>\n`
        );
      case 'CreateAccessKey': {
        if (keysOf(user.arn).length >= 2) {
          throw new IamError(409, 'LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: 2`);
        }
        const now = host.now();
        const fresh: IamUser = {
          accessKeyId: host.randomKeyId(),
          secretAccessKey: host.randomSecret(),
          arn: user.arn,
          ...(user.mfaSerial ? { mfaSerial: user.mfaSerial } : {}),
          ...(user.userId ? { userId: user.userId } : {}),
        };
        created.set(fresh.accessKeyId, now);
        pending.push({
          user: fresh,
          afterRequest: host.requests() + (options.newKeyAfterRequests ?? 0),
          afterTime: now.getTime() + (options.newKeyAfterMs ?? 0),
          created: now,
        });
        tick();
        return (
          `  <CreateAccessKeyResult>\n    <AccessKey>\n      <UserName>${name}</UserName>\n      <AccessKeyId>${fresh.accessKeyId}</AccessKeyId>\n` +
          `      <Status>Active</Status>\n      <SecretAccessKey>${fresh.secretAccessKey}</SecretAccessKey>\n` +
          `      <CreateDate>${now.toISOString()}</CreateDate>\n    </AccessKey>\n  </CreateAccessKeyResult>\n`
        );
      }
      case 'DeleteAccessKey': {
        const id = params.AccessKeyId ?? '';
        const u = host.users.get(id);
        const p = pending.findIndex((x) => x.user.accessKeyId === id);
        if ((!u || u.arn !== user.arn) && p === -1) {
          throw new IamError(404, 'NoSuchEntity', `The Access Key with id ${id} cannot be found.`);
        }
        if (u) host.users.delete(id);
        if (p !== -1) pending.splice(p, 1);
        return '';
      }
      default:
        throw new IamError(400, 'InvalidAction', `Could not find operation ${params.Action}`);
    }
  }

  return { options, tick, handle, keysOf };
}
