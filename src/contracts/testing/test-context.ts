// Test support: one anvil and one compile per test file, both read-only for the tests.
import {getAddress, parseEventLogs, type Address, type TransactionReceipt} from 'viem'
import {afterAll, beforeAll, expect} from 'vitest'

import {startAnvil, type AnvilInstance} from '../anvil.js'
import {compileMedrecContracts, type MedrecCompileResult} from '../compile-contracts.js'
import {connectTestChain, ContractRevert, medrecAbi, type TestChain} from './medrec-test-world.js'

/** Starts anvil (with `chainId`, if given) and compiles contracts/ once for the calling test file. */
export function useMedrecChain(options: {chainId?: number} = {}): {
  chain(): TestChain
  compiled(): MedrecCompileResult
} {
  let anvil: AnvilInstance | undefined
  let chain: TestChain | undefined
  let compiled: MedrecCompileResult | undefined
  beforeAll(async () => {
    const contractsDir = new URL('../../../contracts', import.meta.url).pathname
    ;[anvil, compiled] = await Promise.all([
      startAnvil({chainId: options.chainId}),
      compileMedrecContracts({contractsDir}),
    ])
    chain = connectTestChain(anvil.rpcUrl, anvil.chainId)
  }, 60_000)
  afterAll(async () => {
    await anvil?.stop()
  })
  return {
    chain: () => chain ?? expect.fail('anvil did not start'),
    compiled: () => compiled ?? expect.fail('contracts did not compile'),
  }
}

/** Asserts that `action` reverts with the custom error `errorName` (and args, if given). */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: readonly unknown[],
): Promise<void> {
  const error = await action.then(
    () => expect.fail(`expected a revert with ${errorName}, but the call succeeded`),
    (e: unknown) => e,
  )
  if (!(error instanceof ContractRevert)) throw error
  expect(error.errorName).toBe(errorName)
  if (args !== undefined) expect(error.args).toEqual(args)
}

/** Asserts that `receipt` holds the event `eventName` with exactly `args` (from `address`, if given). */
export function expectEvent(
  receipt: TransactionReceipt,
  eventName: string,
  args: Record<string, unknown>,
  address?: Address,
): void {
  const events = parseEventLogs({abi: medrecAbi, logs: receipt.logs}).filter((e) => e.eventName === eventName)
  const matching = events.filter((e) => address === undefined || getAddress(e.address) === getAddress(address))
  expect(
    matching.map((e) => e.args),
    `${eventName} events`,
  ).toContainEqual(args)
}
