import {keccak256, type Address, type Hex} from 'viem'

import type {ContractArtifact} from '../contracts/compile-contracts.js'
import {hasMatchingCode} from '../contracts/deploy-contracts.js'
import {errorCodes} from '../errors/error-codes.js'
import {isMedrecError, MedrecError} from '../errors/medrec-error.js'
import type {BundleContracts} from './consortium-bundle.js'

/** Reads the runtime code at an address from a node this member trusts (its own). */
export type CodeReader = (address: Address) => Promise<Hex | undefined>

export type VerifiedContract = {name: string; address: Address; codeHash: Hex}

/**
 * The contracts a bundle lists, each checked on this member's own node before it is trusted:
 * code is deployed at the address, it hashes to the bundle's code hash, and it is the runtime
 * code of the contract of that name that this member compiled itself (immutables masked, as
 * `contracts deploy` checks a reused deployment). Refuses the first one that is not.
 */
export async function verifyBundleContracts(parameters: {
  readCode: CodeReader
  contracts: BundleContracts
  artifacts: Record<string, ContractArtifact>
}): Promise<VerifiedContract[]> {
  const verified: VerifiedContract[] = []
  for (const [name, {address, codeHash}] of Object.entries(parameters.contracts)) {
    const artifact = parameters.artifacts[name]
    if (!artifact) {
      throw new MedrecError(
        errorCodes.BUNDLE_CONTRACT_CODE,
        `The bundle lists a contract "${name}" that MedRec does not \
compile.`,
        {
          details: [`known contracts: ${Object.keys(parameters.artifacts).sort().join(', ')}`],
          hint: 'Check that every member runs the same medrec version; do not trust this contract.',
        },
      )
    }
    const code = await parameters.readCode(address)
    if (code === undefined || code === '0x') {
      throw new MedrecError(
        errorCodes.BUNDLE_CONTRACT_CODE,
        `There is no code at ${name}'s address ${address} on this member's node.`,
        {
          hint:
            'Wait until this node has synced the block that deployed it, and check again; if it still has none, the ' +
            'bundle names a contract that was never deployed on this chain.',
        },
      )
    }
    const actualHash = keccak256(code)
    if (actualHash !== codeHash) {
      throw new MedrecError(
        errorCodes.BUNDLE_CONTRACT_CODE,
        `${name} at ${address} runs code that hashes to ${actualHash}, not to the bundle's ${codeHash}.`,
        {hint: 'Do not trust this contract; ask the member who deployed it which address is right.'},
      )
    }
    try {
      await hasMatchingCode({getCode: async () => code}, address, artifact)
    } catch (error) {
      if (!isMedrecError(error) || error.code !== errorCodes.DEPLOY_FAILED) throw error
      throw new MedrecError(
        errorCodes.BUNDLE_CONTRACT_CODE,
        `${name} at ${address} runs other code than the ${name} this member compiled.`,
        {
          hint:
            'Do not trust this contract. Check that every member runs the same medrec version (the same sources and ' +
            "solc settings); otherwise the deployed contract is not MedRec's.",
          cause: error,
        },
      )
    }
    verified.push({name, address, codeHash})
  }
  return verified
}

/** The bundle's entry for deployed contracts: each address with the hash of the code now there. */
export async function describeDeployedContracts(
  readCode: CodeReader,
  addresses: Record<string, Address>,
): Promise<BundleContracts> {
  const contracts: BundleContracts = {}
  for (const [name, address] of Object.entries(addresses)) {
    const code = await readCode(address)
    if (code === undefined || code === '0x') {
      throw new MedrecError(errorCodes.CONTRACTS_NOT_DEPLOYED, `There is no code at ${name}'s address ${address}.`, {
        hint: 'List contracts in the bundle only once their deployment is mined.',
      })
    }
    contracts[name] = {address, codeHash: keccak256(code)}
  }
  return contracts
}
