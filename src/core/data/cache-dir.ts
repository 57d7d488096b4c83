import {homedir} from 'node:os'
import {join, resolve} from 'node:path'

/**
 * Where downloaded datasets live: --data-dir, else $MLCTL_DATA_DIR, else the user's cache
 * directory ($XDG_CACHE_HOME/mlctl or ~/.cache/mlctl). Each dataset gets its own sub-directory.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag)
  if (env.MLCTL_DATA_DIR) return resolve(env.MLCTL_DATA_DIR)
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), '.cache')
  return join(resolve(cacheHome), 'mlctl')
}
