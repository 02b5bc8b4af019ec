import {ContractFunctionRevertedError, encodeErrorResult, HttpRequestError} from 'viem'
import {describe, expect, it} from 'vitest'

import {registrarAbi} from './abi/registrar.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {classifyCommandError} from './classify-command-error.js'

describe('classifyCommandError', () => {
  it("takes a chain read that found no node for the user's problem: exit 1, RPC_FAILED, what to check", () => {
    // Given the error viem throws when the RPC node does not answer
    const down = new HttpRequestError({url: 'http://127.0.0.1:8545', details: 'fetch failed'})
    // When a command that read the chain reports it
    const result = classifyCommandError(down, 'relationship:show')
    // Then it is the user's to fix, not a bug with a stack trace
    expect(result).toEqual({
      kind: 'user',
      exitCode: 1,
      body: {
        code: errorCodes.RPC_FAILED,
        message: 'Could not read from the chain: HTTP request failed.',
        hint: 'Check that the network is up: `medrec network status`.',
        details: [],
      },
      trace: null,
    })
  })

  it("names the contract's refusal of a read, with its own code where it has one", () => {
    const patient = `0x${'11'.repeat(32)}` as const
    const data = encodeErrorResult({abi: registrarAbi, errorName: 'NoPendingRecovery', args: [patient]})
    const refused = new ContractFunctionRevertedError({abi: registrarAbi, data, functionName: 'recoveryOf'})
    const result = classifyCommandError(refused, 'recovery:show')
    expect(result).toMatchObject({kind: 'user', exitCode: 1, trace: null})
    expect(result.body).toMatchObject({
      code: errorCodes.RECOVERY_NOT_PENDING,
      message: `Could not read from the chain: the contract refused with NoPendingRecovery(${patient}).`,
    })
  })

  it('leaves every other error to classifyError: its own problems as they are, the rest a bug', () => {
    const own = new MedrecError(errorCodes.CONFIG_INVALID, 'medrec.yaml has 1 problem.')
    expect(classifyCommandError(own).body).toEqual(own.toJSON())
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')")
    expect(classifyCommandError(bug)).toMatchObject({kind: 'bug', exitCode: 70, trace: bug})
  })
})
