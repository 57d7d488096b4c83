/**
 * The glob patterns predict takes as INPUT when the shell left them unexpanded (quoted, or on Windows):
 * `*` and `?` within a path part, `**` across parts, `[abc]` and `{jpg,png}`. Node 20 has no stable glob.
 */

const GLOB_CHARS = /[*?[{]/

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern)
}

/** The leading path parts without glob characters: the directory to walk ('.' when the first part is a glob). */
export function globBase(pattern: string): string {
  const parts = pattern.split('/')
  const fixed: string[] = []
  for (const part of parts.slice(0, -1)) {
    if (isGlob(part)) break
    fixed.push(part)
  }
  if (fixed.length === 0) return '.'
  return fixed.join('/') || '/'
}

/** A RegExp matching whole paths written as the pattern writes them (same base, `/` separators). */
export function globToRegExp(pattern: string): RegExp {
  let source = ''
  let braces = 0
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more whole directories; a trailing `**` anything below.
      const slash = pattern[i + 2] === '/'
      source += slash ? '(?:[^/]*/)*' : '.*'
      i += slash ? 2 : 1
    } else if (char === '*') {
      source += '[^/]*'
    } else if (char === '?') {
      source += '[^/]'
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) {
        source += '\\['
      } else {
        const set = pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replaceAll('\\', '\\\\')
        source += `[${set}]`
        i = end
      }
    } else if (char === '{') {
      braces++
      source += '(?:'
    } else if (char === '}' && braces > 0) {
      braces--
      source += ')'
    } else if (char === ',' && braces > 0) {
      source += '|'
    } else {
      source += char.replace(/[.+^$()|\\\]}]/g, '\\$&')
    }
  }
  return new RegExp(`^${source}$`)
}
