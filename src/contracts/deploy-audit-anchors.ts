import {getAddress, type Address, type Hex} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {auditAnchorsAbi} from './abi/audit-anchors.js'
import type {ContractArtifact} from './compile-contracts.js'
import {deployArtifact, hasMatchingCode, type DeployClients} from './deploy-contracts.js'

/**
 * Deploys AuditAnchors bound to `registrar`, or reuses `existing` when its code matches
 * the artifact and it trusts that same Registrar. An empty `existing` (a chain that was
 * reset) is deployed afresh; anything else there is refused rather than overwritten.
 */
export async function deployAuditAnchors(
  options: DeployClients & {
    registrar: Address
    artifact: ContractArtifact
    existing?: Address
    onSent?: (txHash: Hex) => void
    onDeployed?: (address: Address) => void
  },
): Promise<{address: Address; deployed: boolean}> {
  const {publicClient, existing} = options
  const hint =
    'The sources changed since that deployment, or the address belongs to something else. Drop the stored ' +
    'AuditAnchors address to deploy afresh (earlier anchors stay readable at the old address).'
  if (existing !== undefined && (await hasMatchingCode(publicClient, existing, options.artifact, hint))) {
    const trusted = await publicClient.readContract({
      address: existing,
      abi: auditAnchorsAbi,
      functionName: 'registrar',
    })
    if (getAddress(trusted) !== getAddress(options.registrar)) {
      throw new MedrecError(
        errorCodes.DEPLOY_FAILED,
        `AuditAnchors at ${existing} trusts the Registrar ${trusted}, not ${options.registrar}.`,
        {
          hint: 'Drop the stored AuditAnchors address to deploy one for this Registrar.',
        },
      )
    }
    return {address: getAddress(existing), deployed: false}
  }
  const {address} = await deployArtifact({...options, args: [options.registrar], onSent: options.onSent})
  options.onDeployed?.(address)
  return {address, deployed: true}
}
