import {PassThrough} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {confirmDestroy} from './confirm-destroy.js'

/** A terminal on real streams: `answer` is typed once the prompt is shown; `said` collects what was written. */
function terminal(options: {isTTY: boolean; answer?: string}) {
  const input = Object.assign(new PassThrough(), {isTTY: options.isTTY})
  const output = new PassThrough()
  let said = ''
  output.on('data', (chunk: Buffer) => {
    said += chunk.toString()
    if (options.answer !== undefined && said.endsWith(': ')) input.write(`${options.answer}\n`)
  })
  return {terminal: {input, output}, said: () => said}
}

const network = {consequence: 'Destroying the network deletes its chain', loss: 'every block of the chain'}

describe('confirmDestroy', () => {
  it('refuses without a terminal to ask on, pointing to --force, and asks nothing', async () => {
    // Given no terminal (a pipe or a script)
    const t = terminal({isTTY: false, answer: 'destroy'})
    // When a chain is about to be destroyed
    const asked = confirmDestroy({...network, json: false, terminal: t.terminal})
    // Then it is refused as unconfirmed, saying what would be lost, and nothing was asked
    await expect(asked).rejects.toMatchObject({
      code: errorCodes.CONFIRMATION_REQUIRED,
      message: expect.stringContaining('Destroying the network deletes its chain'),
      hint: expect.stringContaining('--force'),
    })
    expect(t.said()).toBe('')
  })

  it('refuses under --json even on a terminal, since stdout is for the result', async () => {
    const t = terminal({isTTY: true, answer: 'destroy'})
    await expect(confirmDestroy({...network, json: true, terminal: t.terminal})).rejects.toMatchObject({
      code: errorCodes.CONFIRMATION_REQUIRED,
    })
    expect(t.said()).toBe('')
  })

  it('goes on when the user types "destroy" on the terminal, having said what is lost', async () => {
    // Given a terminal where the user answers "destroy" (with stray spaces)
    const t = terminal({isTTY: true, answer: '  destroy '})
    // When asked
    await confirmDestroy({...network, json: false, terminal: t.terminal})
    // Then it resolves, and the prompt named the loss and the word to type
    expect(t.said()).toBe('This deletes every block of the chain (keys are kept). Type "destroy" to confirm: ')
  })

  it('refuses any other answer', async () => {
    for (const answer of ['', 'y', 'yes', 'Destroy']) {
      const t = terminal({isTTY: true, answer})
      await expect(confirmDestroy({...network, json: false, terminal: t.terminal})).rejects.toMatchObject({
        code: errorCodes.CONFIRMATION_REQUIRED,
        message: 'Not confirmed; nothing was removed.',
      })
    }
  })
})
