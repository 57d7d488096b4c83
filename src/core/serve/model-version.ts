/**
 * Model versions and the version policy that picks which of a model's versions serve, as Triton's:
 * `latest:N` (the N highest version numbers), `all`, or `specific:1,3`.
 */
import {UserError} from '../errors.js'

/** A model given as a file (MODEL.onnx or --model NAME=PATH) has this one version. */
export const FILE_VERSION = 1

export type VersionPolicy = {kind: 'latest'; count: number} | {kind: 'all'} | {kind: 'specific'; versions: number[]}

export const DEFAULT_VERSION_POLICY: VersionPolicy = {kind: 'latest', count: 1}

/** Version folders are named by positive integers, without leading zeros (as Triton's). */
export function parseVersion(text: string): number | undefined {
  return /^[1-9]\d{0,15}$/.test(text) ? Number(text) : undefined
}

export function parseVersionPolicy(text: string): VersionPolicy {
  const [kind, rest] = text.split(':', 2)
  if (kind === 'all' && rest === undefined) return {kind: 'all'}
  if (kind === 'latest' && rest !== undefined) {
    const count = parseVersion(rest)
    if (count !== undefined) return {kind: 'latest', count}
  }
  if (kind === 'specific' && rest !== undefined) {
    const versions = rest.split(',').map(parseVersion)
    if (versions.every((version) => version !== undefined)) return {kind: 'specific', versions}
  }
  throw new UserError(
    `--version-policy ${text} is not a policy; use latest:N (e.g. latest:1), all, or specific:V1,V2 (e.g. specific:1,3)`,
    2,
  )
}

export function describePolicy(policy: VersionPolicy): string {
  if (policy.kind === 'all') return 'all'
  if (policy.kind === 'latest') return `latest:${policy.count}`
  return `specific:${policy.versions.join(',')}`
}

/** The versions, of those available, that the policy serves. */
export function selectVersions(policy: VersionPolicy, available: number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b)
  if (policy.kind === 'all') return sorted
  if (policy.kind === 'latest') return sorted.slice(-policy.count)
  return sorted.filter((version) => policy.versions.includes(version))
}
