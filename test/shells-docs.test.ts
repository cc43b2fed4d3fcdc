// docs/shells.md's bash prompt recipe, run as written after the rc line: the
// snippet's hook runs before the segment is computed, so a prompt shows the
// time left of the session the hook just took, not of the one before.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { needTool, posixQuote, ROOT, run } from './support/helpers.ts';

function bashRecipe(): string {
  const page = readFileSync(join(ROOT, 'docs', 'shells.md'), 'utf8');
  const from = page.indexOf('\n## The session in your prompt\n');
  assert.notEqual(from, -1);
  const block = /```bash\n([\s\S]*?)```/.exec(page.slice(from))?.[1];
  assert.ok(block?.includes('PROMPT_COMMAND'), 'the bash recipe sets PROMPT_COMMAND');
  return block ?? '';
}

test('the bash prompt recipe runs the hook first, then the segment', async (t) => {
  if (!needTool(t, 'bash')) return;
  for (const before of ['', "PROMPT_COMMAND='history -a'"]) {
    const script = [before, `. ${posixQuote(join(ROOT, 'shells', 'kops-mfa.bash'))}`, bashRecipe(), 'printf "%s\\n" "$PROMPT_COMMAND"'].join('\n');
    const r = await run('bash', ['--norc', '--noprofile', '-c', script], { env: { ...process.env, KOPS_MFA_AUTO_REFRESH: 'prompt' } });
    assert.equal(r.code, 0, r.stderr);
    const pc = r.stdout.trim();
    const hook = pc.indexOf('_kops_mfa_hook');
    const segment = pc.indexOf('kops_mfa_prompt -v');
    assert.ok(hook !== -1 && segment !== -1 && hook < segment, `PROMPT_COMMAND=${pc}`);
  }
});
