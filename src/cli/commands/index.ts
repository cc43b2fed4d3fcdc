// The commands kops-mfa has, one entry each: name, usage, options (from the
// option table), examples and the function that runs it. main.ts registers
// them with cac; each command's body lives in its own module.
import type { Context, Outcome } from '../../context.js';
import { ENV_OPTIONS, KEYS_OPTIONS, LOGIN_OPTIONS, LOGOUT_OPTIONS, SETUP_OPTIONS, SHELL_OPTION, STATUS_OPTIONS, type Flags, type OptionSpec } from '../options.js';
import { usageError } from '../../errors.js';
import { envCommand } from './env.js';
import { CONSOLE_OPTIONS, DOCTOR_OPTIONS, PRINT_OPTION } from '../options.js';
import { logoutOutput, refuseTerminal } from './terminal.js';
import { execCommand } from '../../exec/exec.js';
import { credentialProcessCommand } from './credential-process.js';
import { initText } from './init.js';
import { statusCommand } from './status.js';
import { logoutCommand } from './logout.js';
import { keysCommand } from './keys.js';
import { setupCommand } from './setup.js';

type Action = (flags: Flags, args: string[], dashed: string[]) => Outcome | Promise<Outcome>;

export interface Entry {
  name: string;
  /** As cac reads it: the name and its arguments. */
  raw: string;
  usage: string;
  description: string;
  options: readonly OptionSpec[];
  examples?: string[];
  action: Action;
}

export const commands = (ctx: Context): Entry[] => [
  {
    name: 'env',
    raw: 'env',
    usage: 'env [options]',
    description: 'Log in with MFA and print statements that set the session in your shell',
    options: ENV_OPTIONS,
    examples: ['eval "$(kops-mfa env)"', 'kops-mfa env --shell fish | source', 'kops-mfa env --shell powershell | Out-String | Invoke-Expression'],
    action: (flags) => {
      refuseTerminal(flags, ctx);
      return envCommand(flags, ctx);
    },
  },
  {
    name: 'exec',
    raw: 'exec [...command]',
    usage: 'exec [options] -- <command> [args...]',
    description: 'Run a command with the session in its environment',
    options: LOGIN_OPTIONS,
    examples: ['kops-mfa exec -- kops get clusters', "alias kops='kops-mfa exec -- kops'"],
    action: (flags, _args, dashed) => execCommand(flags, dashed, ctx),
  },
  {
    name: 'credential-process',
    raw: 'credential-process',
    usage: 'credential-process [options]',
    description: 'Print the session as credential_process JSON for any AWS SDK',
    options: LOGIN_OPTIONS,
    examples: ['credential_process = kops-mfa credential-process --profile kops-mfa   (in ~/.aws/config)'],
    action: (flags) => credentialProcessCommand(flags, ctx),
  },
  {
    name: 'init',
    raw: 'init [shell]',
    usage: 'init <bash|zsh|fish|powershell> [--path]',
    description: 'Print the shell integration (kops-login, kops-logout, kops_mfa_prompt) for an rc file',
    options: [{ name: 'path', help: 'Print the path of the snippet file instead of its text' }],
    examples: ['eval "$(kops-mfa init zsh)"        # ~/.zshrc', 'kops-mfa init fish | source        # ~/.config/fish/config.fish', 'kops-mfa init powershell | Out-String | Invoke-Expression   # $PROFILE'],
    action: (flags, args) => {
      if (args.length !== 1) throw usageError('init needs one shell: kops-mfa init bash|zsh|fish|powershell');
      return { stdout: initText(args[0] as string, { path: flags.path === true }) };
    },
  },
  {
    name: 'status',
    raw: 'status',
    usage: 'status [options]',
    description: 'Show the session of this shell and of the cache; exit 0 when valid',
    options: STATUS_OPTIONS,
    action: (flags) => statusCommand(flags, ctx),
  },
  {
    name: 'console',
    raw: 'console',
    usage: 'console [options]',
    description: "Open the AWS console in a browser as the profile's role session",
    options: CONSOLE_OPTIONS,
    examples: ['kops-mfa console --profile prod', 'kops-mfa console --stdout --destination https://console.aws.amazon.com/ec2/home'],
    // Loaded when called: it needs node:http and node:crypto, which the cached path never loads.
    action: async (flags) => (await import('./console.js')).consoleCommand(flags, ctx),
  },
  {
    name: 'doctor',
    raw: 'doctor',
    usage: 'doctor [--profile <name>]',
    description: 'Check the setup, one line per check, each with its fix; exit 1 when one fails',
    options: DOCTOR_OPTIONS,
    action: async (flags) => (await import('./doctor.js')).doctorCommand(flags, ctx),
  },
  {
    name: 'logout',
    raw: 'logout',
    usage: 'logout [options]',
    description: 'Forget cached sessions and print statements that clear the shell',
    options: [SHELL_OPTION, PRINT_OPTION, ...LOGOUT_OPTIONS],
    examples: ['eval "$(kops-mfa logout)"'],
    action: async (flags) => logoutOutput(flags, ctx, await logoutCommand(flags, ctx)),
  },
  {
    name: 'keys',
    raw: 'keys [...args]',
    usage: 'keys <add|import|list|remove|rotate> [PROFILE] [options]',
    description: 'Keep long-term keys in the OS keyring: add, import from ~/.aws/credentials, list, remove, rotate',
    options: KEYS_OPTIONS,
    examples: ['kops-mfa keys import default', 'kops-mfa keys add alice', 'kops-mfa keys list', 'kops-mfa keys rotate alice'],
    action: (flags, args) => keysCommand(flags, args, ctx),
  },
  {
    name: 'setup',
    raw: 'setup [profile]',
    usage: 'setup [PROFILE] [options]',
    description: 'Write a working profile into ~/.aws/config: key into the keyring, MFA device, role, region',
    options: SETUP_OPTIONS,
    examples: ['kops-mfa setup kops', 'kops-mfa setup kops --env --role-arn arn:aws:iam::123456789012:role/admin --region eu-west-1 --yes'],
    action: (flags, args) => setupCommand(flags, args, ctx),
  },
];
