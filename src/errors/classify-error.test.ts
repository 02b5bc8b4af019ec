import {describe, expect, it} from 'vitest'

import {classifyError, exitCodes} from './classify-error.js'
import {errorCodes} from './error-codes.js'
import {MedrecError} from './medrec-error.js'
import {UsageError} from './usage-error.js'

describe('classifyError', () => {
  it('treats a MedrecError as the user’s to fix: exit 1, its own code, hint and details, no trace', () => {
    // Given an expected problem with a hint and details
    const error = new MedrecError(errorCodes.CONFIG_INVALID, 'medrec.yaml is invalid', {
      hint: 'Fix it.',
      details: ['a: b'],
    })
    // When it is classified
    const result = classifyError(error, 'network:up')
    // Then it is a user error carrying its own body
    expect(result).toEqual({
      kind: 'user',
      exitCode: 1,
      body: {code: 'MEDREC_CONFIG_INVALID', message: 'medrec.yaml is invalid', hint: 'Fix it.', details: ['a: b']},
      trace: null,
    })
  })

  it('treats a UsageError as wrong usage: exit 2 and a hint naming the command’s help', () => {
    const result = classifyError(new UsageError('Nonexistent flag: --sealer-count'), 'network:init')
    expect(result.kind).toBe('usage')
    expect(result.exitCode).toBe(exitCodes.usage)
    expect(result.body).toEqual({
      code: errorCodes.USAGE,
      message: 'Nonexistent flag: --sealer-count',
      hint: 'See `medrec network init --help`.',
      details: [],
    })
    expect(result.trace).toBeNull()
  })

  it('does not take a plain error for usage because of its wording', () => {
    // A bug whose message happens to read like oclif's parser must still be reported as a bug.
    const result = classifyError(new Error('Missing required flag dir'))
    expect(result.kind).toBe('bug')
    expect(result.exitCode).toBe(70)
    expect(result.body.code).toBe(errorCodes.INTERNAL)
  })

  it('treats file-system failures such as a full disk as the user’s, with a hint', () => {
    const error = Object.assign(new Error('ENOSPC: no space left'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/x/state.json',
    })
    const result = classifyError(error)
    expect(result.kind).toBe('user')
    expect(result.exitCode).toBe(1)
    expect(result.body.code).toBe(errorCodes.FILE_ACCESS)
    expect(result.body.message).toContain('/x/state.json')
    expect(result.body.hint).toMatch(/disk space/)
  })

  it('reports anything else as a bug with the error’s stack, including thrown non-errors', () => {
    const bug = new TypeError('cannot read properties of undefined')
    expect(classifyError(bug)).toMatchObject({kind: 'bug', exitCode: 70, trace: bug, body: {hint: null}})
    const odd = classifyError('a string was thrown')
    expect(odd.kind).toBe('bug')
    expect(odd.body.message).toBe('a string was thrown')
    expect(odd.trace).toBeInstanceOf(Error)
  })

  it('leaves an errno code that is not a file-system problem to the bug path', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'})
    expect(classifyError(error).kind).toBe('bug')
  })
})
