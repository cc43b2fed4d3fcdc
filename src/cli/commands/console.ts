// `kops-mfa console`: the AWS console in the browser as the profile's role
// session, as `aws-vault login` and granted's `assume -c` do. The sign-in URL
// is a secret for 15 minutes: it goes to stdout only when asked (--stdout) or
// when no browser can be opened, and to a browser through a one-time
// redirect, never through an argv.
import type { Context, Outcome } from '../../context.js';
import { configError, networkError } from '../../errors.js';
import type { Flags } from '../options.js';
import { printable } from '../../printable.js';
import { loadAwsFiles } from '../../settings/aws-files.js';
import { optionValue, profileName } from '../../settings/config.js';
import { checkDestination, defaultDestination, federationUrl, loginUrl, signinToken } from '../../console/federation.js';
import { browserOpener, openViaRedirect } from '../../console/open.js';
import { withSession } from './with-session.js';

/** How long the browser has to come for the one-time redirect. */
const OPEN_TIMEOUT_MS = 60_000;

export async function consoleCommand(flags: Flags, ctx: Context, platform: NodeJS.Platform = process.platform): Promise<Outcome> {
  // Everything that can be refused is checked before a code is asked for.
  const profile = profileName(flags, ctx.env);
  const noRole = () =>
    configError(`profile ${printable(profile)} has no role_arn: the console needs a role session; add one or pass --role-arn`);
  if (!optionValue('role-arn', flags, ctx.env, loadAwsFiles(ctx.env))) throw noRole();
  const asked = typeof flags.destination === 'string' ? checkDestination(flags.destination) : undefined;

  const { settings, obtained } = await withSession(flags, ctx);
  if (!obtained.entry.roleArn) throw noRole();
  const endpoint = federationUrl(settings.region, ctx.env);
  ctx.debug(`console: sign-in endpoint ${endpoint}`);
  const token = await signinToken(endpoint, obtained.entry.credentials);
  const url = loginUrl(endpoint, token, asked ?? defaultDestination(settings.region));

  if (flags.stdout === true) return { stdout: `${url}\n` };
  const opener = browserOpener(platform, ctx.env);
  if (!opener) {
    ctx.note('no browser here (no DISPLAY): the sign-in URL follows, a secret for 15 minutes');
    return { stdout: `${url}\n` };
  }
  const opened = await openViaRedirect(url, opener, ctx.env, OPEN_TIMEOUT_MS);
  if (opened === 'opener-failed') {
    ctx.note(`${opener[0]} could not open a browser: the sign-in URL follows, a secret for 15 minutes`);
    return { stdout: `${url}\n` };
  }
  if (opened === 'timeout') throw networkError(`no browser came for the console in ${OPEN_TIMEOUT_MS / 1000} s: run kops-mfa console --stdout`);
  ctx.note(`opened the AWS console as ${printable(obtained.entry.arn ?? settings.roleArn ?? profile)}`);
  return {};
}
