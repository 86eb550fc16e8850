/**
 * Is `node_modules` there and does it match package-lock.json? Uses Node built-ins only:
 * this runs before any dependency is installed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type LockEntry = {
  version?: string;
  link?: boolean;
  resolved?: string;
  optional?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
type Lock = { packages?: Record<string, LockEntry> };

export type InstallState = { state: 'ok' } | { state: 'missing' | 'stale'; reason: string };

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/**
 * Compares what package.json files ask for with package-lock.json, and package-lock.json
 * with what npm recorded as installed (`node_modules/.package-lock.json`).
 */
export function installState(root: string): InstallState {
  const hiddenPath = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(join(root, 'node_modules'))) return { state: 'missing', reason: 'node_modules does not exist' };
  if (!existsSync(hiddenPath))
    return { state: 'missing', reason: 'node_modules was not installed by npm (no node_modules/.package-lock.json)' };
  const lockPath = join(root, 'package-lock.json');
  if (!existsSync(lockPath)) return { state: 'stale', reason: 'package-lock.json is missing' };
  const lock = readJson<Lock>(lockPath).packages ?? {};
  const hidden = readJson<Lock>(hiddenPath).packages ?? {};

  // 1. package.json (root and workspaces) against the lock file.
  for (const [path, entry] of Object.entries(lock)) {
    if (path.includes('node_modules/')) continue;
    const pkgFile = join(root, path, 'package.json');
    if (!existsSync(pkgFile)) return { state: 'stale', reason: `${path || '.'}/package.json is in the lock file but missing` };
    const pkg = readJson<LockEntry>(pkgFile);
    for (const field of DEP_FIELDS) {
      const want = pkg[field] ?? {};
      const locked = entry[field] ?? {};
      for (const [name, range] of Object.entries(want)) {
        if (locked[name] !== range)
          return {
            state: 'stale',
            reason: `${path || 'root'} package.json asks for ${name}@${range}, the lock file has ${locked[name] ?? 'nothing'}`,
          };
      }
      for (const name of Object.keys(locked)) {
        if (!(name in want)) return { state: 'stale', reason: `${name} was removed from ${path || 'root'} package.json` };
      }
    }
  }

  // 2. The lock file against what is installed.
  for (const [path, entry] of Object.entries(lock)) {
    if (!path.includes('node_modules/')) continue;
    const have = hidden[path];
    if (entry.link) {
      if (!have?.link || have.resolved !== entry.resolved) return { state: 'stale', reason: `${path} should link to ${entry.resolved}` };
      continue;
    }
    if (!have) {
      // Optional packages for other platforms (e.g. darwin binaries) are legitimately absent.
      if (entry.optional || entry.devOptional) continue;
      return { state: 'stale', reason: `${path.replace(/^.*node_modules\//, '')}@${entry.version} is not installed` };
    }
    if (have.version !== entry.version)
      return {
        state: 'stale',
        reason: `${path.replace(/^.*node_modules\//, '')} is ${have.version}, the lock file wants ${entry.version}`,
      };
    if (!existsSync(join(root, path))) return { state: 'stale', reason: `${path} was deleted` };
  }
  return { state: 'ok' };
}
