import {createInterface} from 'node:readline/promises'

import {Flags} from '@oclif/core'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** --force of a command that deletes a chain: it does not ask first. */
export const destroyForceFlag = Flags.boolean({char: 'f', summary: 'Do not ask for confirmation.'})

/** What a destroying command says it is about to lose, and where it asks. */
export type ConfirmDestroyOptions = {
  /** Why it asks, e.g. "Destroying the network deletes its chain". */
  consequence: string
  /** What the prompt says goes, e.g. "every block of the chain". */
  loss: string
  /** Under --json stdout carries a result only, so nobody is there to answer. */
  json: boolean
  /** The terminal to ask on: stdin and stderr (stdout is for results). */
  terminal?: {input: NodeJS.ReadableStream & {isTTY?: boolean}; output: NodeJS.WritableStream}
}

/**
 * Asks the user to type "destroy" before a chain is deleted; refuses when there is no terminal to ask on
 * (--force is how a script confirms). Throws CONFIRMATION_REQUIRED unless confirmed.
 */
export async function confirmDestroy(options: ConfirmDestroyOptions): Promise<void> {
  const {input, output} = options.terminal ?? {input: process.stdin, output: process.stderr}
  if (!input.isTTY || options.json) {
    throw new MedrecError(
      errorCodes.CONFIRMATION_REQUIRED,
      `${options.consequence}, and there is no terminal to confirm on.`,
      {hint: 'Pass --force to confirm.'},
    )
  }
  const rl = createInterface({input, output})
  const answer = await rl.question(`This deletes ${options.loss} (keys are kept). Type "destroy" to confirm: `)
  rl.close()
  if (answer.trim() !== 'destroy') {
    throw new MedrecError(errorCodes.CONFIRMATION_REQUIRED, 'Not confirmed; nothing was removed.')
  }
}
