import {explainContractError} from './send-contract-transaction.js'
import {type ClassifiedError, classifyError} from '../errors/classify-error.js'

/**
 * What a failed command reports, without side effects: classifyError, once a chain read that
 * failed in viem (the node down, a call reverted) is explained as a failed send is, so that it
 * is the user's problem with a code and a hint rather than a bug. The command base renders it
 * (it lives here, above errors/, because it knows viem's errors and the contracts' refusals).
 */
export function classifyCommandError(thrown: unknown, commandId?: string): ClassifiedError {
  return classifyError(explainContractError(thrown, 'read from the chain'), commandId)
}
