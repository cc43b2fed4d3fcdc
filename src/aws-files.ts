// ~/.aws/config and ~/.aws/credentials, read by the AWS SDK's own loader
// (AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE honoured; [profile x] in
// the config file, [x] in the credentials file), so profiles mean here what
// they mean to the AWS CLI and SDKs.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';

export type Profile = Record<string, string | undefined>;

export interface AwsFiles {
  config: Record<string, Profile>;
  credentials: Record<string, Profile>;
  configPath: string;
  credentialsPath: string;
}

export async function loadAwsFiles(env: NodeJS.ProcessEnv): Promise<AwsFiles> {
  const home = env.HOME || homedir();
  const configPath = expandHome(env.AWS_CONFIG_FILE || join(home, '.aws', 'config'), home);
  const credentialsPath = expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'), home);
  // The loader reads both files at once and treats a missing file as empty.
  const { configFile, credentialsFile } = await loadSharedConfigFiles({
    configFilepath: configPath,
    filepath: credentialsPath,
    ignoreCache: true,
  });
  return { config: configFile, credentials: credentialsFile, configPath, credentialsPath };
}

function expandHome(path: string, home: string): string {
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
