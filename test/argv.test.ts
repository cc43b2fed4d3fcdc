// src/cli/argv.ts, in this process: values as typed (never cac's numbers),
// `--name value` made `--name=value` so a value such as -1 is never an
// option, nothing after `--` touched, and the plain calls that skip cac.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize, plainCall, readFlags, tidyHelp, usageMessage } from '../src/cli/argv.ts';
import { DEBUG_OPTION, LOGIN_OPTIONS, SHELL_OPTION, type OptionSpec } from '../src/cli/options.ts';

const ENV: readonly OptionSpec[] = [SHELL_OPTION, ...LOGIN_OPTIONS, DEBUG_OPTION];

test('normalize: a value option takes the next word, whatever it looks like; switches and words stay', () => {
  assert.deepEqual(normalize(['env', '--token-code', '012345', '--min-remaining', '-1', '-q', '--refresh'], ENV), [
    'env',
    '--token-code=012345',
    '--min-remaining=-1',
    '-q',
    '--refresh',
  ]);
  assert.deepEqual(normalize(['--profile=a b', '--region', ''], ENV), ['--profile=a b', '--region='], 'an empty value is a value');
  assert.deepEqual(normalize(['--unknown', 'x'], ENV), ['--unknown', 'x'], 'an unknown option is left for cac to refuse');
});

test('normalize: nothing after -- is touched, and -- is never taken as a value', () => {
  assert.deepEqual(normalize(['exec', '--profile', 'p', '--', 'kops', '--profile', 'x'], ENV), ['exec', '--profile=p', '--', 'kops', '--profile', 'x']);
  assert.deepEqual(normalize(['exec', '--profile', '--', 'true'], ENV), ['exec', '--profile', '--', 'true']);
  assert.deepEqual(normalize(['env', '--shell'], ENV), ['env', '--shell'], 'a value missing at the end stays missing');
});

test('readFlags: strings as typed, true for switches, the last one wins, unknown ones and words ignored, stops at --', () => {
  const args = normalize(['env', '--token-code', '012345', '--profile', 'a', '--profile', 'b', '-q', '--bogus', 'word', '--', '--region=x'], ENV);
  assert.deepEqual(readFlags(args, ENV), { 'token-code': '012345', profile: 'b', quiet: true });
  assert.deepEqual(readFlags(['--region='], ENV), { region: '' });
  assert.deepEqual(readFlags(['--refresh=yes'], ENV), { refresh: true }, 'a switch is a switch even with =');
});

test('plainCall: only the command, its own options with their values, and the words it takes', () => {
  const plain = plainCall('env', normalize(['env', '--shell', 'fish', '--token-code', '000001'], ENV), ENV, 0);
  assert.deepEqual(plain, { flags: { shell: 'fish', 'token-code': '000001' }, positional: [], dashed: [] });
  const exec = plainCall('exec', normalize(['exec', '-q', '--', 'kops', '--help'], ENV), ENV, 0);
  assert.deepEqual(exec, { flags: { quiet: true }, positional: [], dashed: ['kops', '--help'] });
  const init = plainCall('init', ['init', 'zsh'], [], 1);
  assert.deepEqual(init, { flags: {}, positional: ['zsh'], dashed: [] });
});

test('plainCall: help, version, an unknown option, a missing value, a stray word or another command go to cac', () => {
  for (const args of [
    ['env', '--help'],
    ['env', '-v'],
    ['env', '--bogus'],
    ['env', '--shell'],
    ['env', '--refresh=1'],
    ['env', 'stray'],
    ['status'],
  ]) {
    assert.equal(plainCall('env', normalize(args, ENV), ENV, 0), undefined, args.join(' '));
  }
  assert.equal(plainCall('init', ['init'], [], 1), undefined, 'init without its shell');
});

test('usageMessage names the option as it was typed, not as cac camel-cases it', () => {
  assert.equal(usageMessage('Unknown option `--bogusFlag`', ['env', '--bogus-flag']), 'unknown option --bogus-flag');
  assert.equal(usageMessage('Unknown option `--suchFlag`', ['env', '--no-such-flag=1']), 'unknown option --no-such-flag');
  assert.equal(usageMessage('Unknown option `-x`', ['env', '-x']), 'unknown option -x');
  assert.equal(usageMessage('Unknown option `--later`', ['env', '--', '--later']), 'unknown option --later', 'words after -- are not options');
  assert.equal(usageMessage('missing required args for command `init <shell>`', []), 'missing required args for command init <shell>');
});

test('tidyHelp drops cac\'s "(default: true)" and trailing blanks, nothing else', () => {
  const out = tidyHelp([{ title: 'Options', body: '  --no-cache  Neither read nor write (default: true)\n  --x  y   \n  keep (default: true) inside' }]);
  assert.deepEqual(out, [{ title: 'Options', body: '  --no-cache  Neither read nor write\n  --x  y\n  keep (default: true) inside' }]);
});
