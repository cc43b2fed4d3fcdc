// `kops-mfa complete <login|logout> <previous word> <current word>`: what the
// shell completions of kops-login and kops-logout offer, one candidate a
// line, raw: each snippet quotes them as one word for its shell. Options come
// from the option table and profile names from the AWS files parser, so no
// snippet keeps a list or a parser of its own.
import { loadAwsFiles, profileNames } from '../../settings/aws-files.js';
import type { Context, Outcome } from '../../context.js';
import { usageError } from '../../errors.js';
import { SHELL_FUNCTIONS } from '../options.js';

export function completeCommand(words: readonly string[], ctx: Context): Outcome {
  const [fn, previous = '', current = ''] = words;
  if (fn !== 'login' && fn !== 'logout') throw usageError('complete needs login or logout, the previous word and the current word');
  const specs = SHELL_FUNCTIONS[fn];
  const option = specs.find((o) => `--${o.name}` === previous || (o.short && `-${o.short}` === previous));
  let candidates: string[];
  if (option?.value) {
    if (!option.profiles) return { stdout: '' };
    try {
      candidates = profileNames(loadAwsFiles(ctx.env));
    } catch {
      return { stdout: '' }; // an unreadable file: nothing to offer, and no error in the middle of a Tab
    }
  } else {
    candidates = specs.map((o) => `--${o.name}`);
  }
  const out = candidates.filter((c) => c.startsWith(current));
  return { stdout: out.map((c) => `${c}\n`).join('') };
}
