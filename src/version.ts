// The package version. The build defines KOPS_MFA_VERSION (bundling
// package.json put all of it on every start); from the sources (tests,
// tsx) it is read from package.json.
import { readFileSync } from 'node:fs';

declare const KOPS_MFA_VERSION: string | undefined;

export const VERSION: string =
  typeof KOPS_MFA_VERSION === 'string'
    ? KOPS_MFA_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
