// kops-login and the terminal: when kops-mfa is killed at the code prompt
// (SIGKILL leaves no chance to restore anything), the function puts the
// terminal's settings back, so Ctrl-C works again in zsh and fish as in bash.
// And kops-mfa runs with a core limit of 0, while the shell keeps its own.
// A real pseudo-terminal; the kops-mfa on PATH stands in for one killed at
// the prompt: it turns Ctrl-C off as a raw prompt would, then kills itself.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { needTool, posixQuote, ROOT, tempDir } from './support/helpers.ts';
import { fishQuote } from './support/shells.ts';
import { cleanScreen, spawnPty } from './support/pty.ts';

describe('kops-login after kops-mfa was killed at the prompt', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    test(`${shell}: Ctrl-C is the interrupt again, and kops-mfa ran without core dumps`, async (t) => {
      if (!needTool(t, shell) || !needTool(t, 'script')) return;
      const dir = tempDir(t);
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'kops-mfa'),
        `#!/bin/sh\nulimit -c >${posixQuote(join(dir, 'core-limit'))}\nstty intr undef -echo </dev/tty\nkill -KILL $$\n`,
      );
      chmodSync(join(bin, 'kops-mfa'), 0o755);
      const snippet = join(ROOT, 'shells', `kops-mfa.${shell}`);
      const report = `stty -a </dev/tty | tr ';' '\\n' | grep -E '^ *intr ='; echo "shell-core=$(ulimit -S -c)"`;
      const script =
        shell === 'fish'
          ? `ulimit -S -c (ulimit -H -c); source ${fishQuote(snippet)}; echo "before-core="(ulimit -S -c); kops-login; echo "rc=$status"; sh -c ${fishQuote(report)}; echo DONE`
          : `ulimit -S -c "$(ulimit -H -c)"; . ${posixQuote(snippet)}; echo "before-core=$(ulimit -S -c)"; kops-login; echo "rc=$?"; ${report}; echo DONE`;
      const argv = shell === 'fish' ? ['fish', '--no-config', '--private', '-c', script] : shell === 'zsh' ? ['zsh', '-f', '-c', script] : ['bash', '--norc', '-c', script];
      const pty = spawnPty(argv, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TERM: 'dumb' }, cwd: dir });
      t.after(() => pty.kill('SIGKILL'));
      await pty.waitFor(/DONE/);
      const screen = cleanScreen(pty.output);
      assert.match(screen, /^rc=137$/m, screen);
      assert.match(screen, /^ *intr = \^C$/m, screen);
      assert.equal(readFileSync(join(dir, 'core-limit'), 'utf8').trim(), '0', 'kops-mfa ran with a core limit of 0');
      const before = /^before-core=(.*)$/m.exec(screen)?.[1];
      assert.equal(/^shell-core=(.*)$/m.exec(screen)?.[1], before, 'the shell keeps its own core limit');
    });
  }
});
