import type {z} from 'zod'

/**
 * Every problem a failed parse found, one line each as users read it: the dotted path, then
 * the problem (`sealers.1.p2pPort: Too big: expected number to be <=65535`). Unknown keys
 * are named; `keyWord` is what the document calls its keys ("field" in a node card).
 */
export function describeIssues(error: z.ZodError, keyWord = 'key'): string[] {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${describeIssue(issue, keyWord)}`)
}

/** A zod issue path the way users read it: `sealers.1.p2pPort`, or `(top level)`. */
function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.')
}

function describeIssue(issue: z.core.$ZodIssue, keyWord: string): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown ${keyWord}${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  return issue.message
}
