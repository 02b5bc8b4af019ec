import {getAddress, type Address, type Hex} from 'viem'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {registrarAbi} from '../contracts/abi/registrar.js'
import type {ContractArtifact} from '../contracts/compile-contracts.js'
import {deployArtifact, hasMatchingCode, type DeployClients} from '../contracts/deploy-contracts.js'
import {explainContractError} from '../contracts/send-contract-transaction.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

const consortiumRedeployHint =
  'The sources changed since that deployment; drop the stored Consortium and Registrar addresses to deploy afresh.'

/** A founding sealing provider: its identity and registered account. */
export type ConsortiumFounder = {id: Hex; account: Address}

/**
 * Hands the Registrar's governance to a Consortium whose members are the founders:
 * registers and certifies each founder (while the deploying account still governs),
 * deploys the Consortium (or reuses `existing` when its code matches), and completes
 * the two-step handover. Every step checks the chain first, so a run that stopped
 * half-way resumes where it was.
 */
export async function establishConsortium(
  options: DeployClients & {
    registrar: Address
    artifact: ContractArtifact
    founders: ConsortiumFounder[]
    existing?: Address
    onSent?: (txHash: Hex) => void
    onDeployed?: (address: Address) => void
  },
): Promise<{consortium: Address; deployed: boolean; registeredFounders: Address[]}> {
  const {publicClient, walletClient, registrar} = options
  const read = <F extends 'governance' | 'pendingGovernance'>(functionName: F) =>
    publicClient.readContract({address: registrar, abi: registrarAbi, functionName})
  const send = async (action: string, request: Parameters<typeof walletClient.writeContract>[0]): Promise<void> => {
    try {
      const hash = await walletClient.writeContract(request)
      const receipt = await publicClient.waitForTransactionReceipt({hash, timeout: 120_000})
      if (receipt.status !== 'success')
        throw new MedrecError(errorCodes.CONTRACT_REVERTED, `Could not ${action}: transaction ${hash} reverted.`)
    } catch (error) {
      throw explainContractError(error, action, walletClient.account.address)
    }
  }

  let consortium =
    options.existing &&
    (await hasMatchingCode(publicClient, options.existing, options.artifact, consortiumRedeployHint))
      ? getAddress(options.existing)
      : undefined
  const governance = getAddress(await read('governance'))
  if (consortium !== undefined && governance === consortium)
    return {consortium, deployed: false, registeredFounders: []}
  if (governance !== walletClient.account.address) {
    throw new MedrecError(
      errorCodes.DEPLOY_FAILED,
      `The Registrar at ${registrar} is governed by ${governance}, neither the deployer nor this network's Consortium.`,
      {
        hint: 'Hand its governance back to the deployer, or drop the stored Registrar address to deploy afresh.',
      },
    )
  }

  const registeredFounders: Address[] = []
  for (const founder of options.founders) {
    const p = await publicClient.readContract({
      address: registrar,
      abi: registrarAbi,
      functionName: 'participant',
      args: [founder.id],
    })
    if (p.certified && getAddress(p.account) === getAddress(founder.account)) continue
    await send(`register founding provider ${founder.account}`, {
      address: registrar,
      abi: registrarAbi,
      functionName: 'registerProvider',
      args: [founder.id, founder.account],
      account: walletClient.account,
      chain: walletClient.chain,
    })
    registeredFounders.push(founder.account)
  }

  const deployed = consortium === undefined
  if (consortium === undefined) {
    const args = [registrar, options.founders.map((f) => f.id), options.founders.map((f) => f.account)]
    consortium = (await deployArtifact({...options, args, onSent: options.onSent})).address
    options.onDeployed?.(consortium)
  }
  if (getAddress(await read('pendingGovernance')) !== consortium) {
    await send('start handing governance to the Consortium', {
      address: registrar,
      abi: registrarAbi,
      functionName: 'transferGovernance',
      args: [consortium],
      account: walletClient.account,
      chain: walletClient.chain,
    })
  }
  await send('complete the governance handover', {
    address: consortium,
    abi: consortiumAbi,
    functionName: 'acceptRegistrarGovernance',
    account: walletClient.account,
    chain: walletClient.chain,
  })
  return {consortium, deployed, registeredFounders}
}
