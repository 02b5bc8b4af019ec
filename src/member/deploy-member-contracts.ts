import type {Address} from 'viem'

import {establishConsortium} from '../consortium/deploy-consortium.js'
import {providerIdentity} from '../consortium/provider-identity.js'
import {compilePackagedContracts} from '../contracts/compile-contracts.js'
import {deployAuditAnchors} from '../contracts/deploy-audit-anchors.js'
import {deployMedrecContracts, type MedrecContractName} from '../contracts/deploy-contracts.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {exportBundle} from './export-bundle.js'
import type {MemberPaths} from './member-files.js'
import {openMemberChain} from './member-chain.js'
import {readMemberState, updateMemberState, type MemberState} from './member-state.js'
import {describeDeployedContracts, verifyBundleContracts} from './verify-bundle-contracts.js'

export type DeployMemberContractsResult = {
  chainId: number
  addresses: Record<string, Address>
  deployed: string[]
  reused: string[]
  /** The providers the Consortium started with: the bundle's members. */
  founders: {name: string; account: Address}[]
  revision: number
  bundleFile: string
  out?: string
  solcVersion: string
}

/** Where a deploy that stopped half-way left its contracts (member-state.json, loose), to resume. */
const pendingKey = 'deployingContracts'

/**
 * Records the contracts a deploy has mined so far (by name), to resume from. Only the pending
 * key changes, on the state as the file holds it now: other commands may write it meanwhile.
 * `fallback` is the state to start from if there is no file.
 */
export async function savePendingContracts(
  paths: MemberPaths,
  pending: Record<string, Address>,
  fallback: MemberState,
): Promise<void> {
  await updateMemberState(paths, (current) => ({...(current ?? fallback), [pendingKey]: {...pending}}))
}

/** Forgets the contracts of a deploy that has finished (they are in the bundle now), and only them. */
export async function clearPendingContracts(paths: MemberPaths): Promise<void> {
  await updateMemberState(paths, (current) => {
    if (!current || !(pendingKey in current)) return undefined
    const {[pendingKey]: _done, ...rest} = current
    return rest as MemberState
  })
}

/**
 * `contracts deploy` in a member workspace: deploys the MedRec contracts with this member's
 * own account (the genesis funds every founder) through its own keyless RPC node, registers
 * the bundle's members as certified providers and hands the Registrar's governance to a
 * Consortium of them, then lists the addresses and code hashes in the bundle and exports it
 * (next revision, signed) for the other members, who check the code on their own nodes.
 */
export async function deployMemberContracts(options: {
  dir: string
  out?: string
  progress?: ProgressListener
}): Promise<DeployMemberContractsResult> {
  const progress = options.progress ?? silentProgress
  const chain = await openMemberChain({dir: options.dir})
  if (chain.role !== 'member') {
    throw new MedrecError(
      errorCodes.NOT_CONSORTIUM_MEMBER,
      `${chain.member.config.name} is a joiner, not yet a member: it cannot deploy the consortium's contracts.`,
      {hint: 'A member deploys them; import the bundle it exports.'},
    )
  }
  if (chain.bundle.contracts && Object.keys(chain.bundle.contracts).length > 0) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      `The consortium bundle of ${chain.ref.network} (revision ${chain.bundle.revision}) already lists its contracts.`,
      {
        details: Object.entries(chain.bundle.contracts).map(([name, c]) => `${name} ${c.address}`),
        hint: 'They are deployed once for the consortium; `medrec consortium import` checks them on your own node.',
      },
    )
  }
  const publicClient = chain.publicClient('Deploying contracts')
  const walletClient = await chain.walletClient('Deploying contracts')
  const compiled = await compilePackagedContracts(progress)
  const state = (await readMemberState(chain.member.paths)) ?? chain.member.state
  const pending = {...(state[pendingKey] as Record<string, Address> | undefined)}
  // Each address is recorded as soon as it is mined, so a deploy that stops half-way resumes.
  let saving = Promise.resolve()
  const record = (name: string, address: Address) => {
    pending[name] = address
    const snapshot = {...pending}
    saving = saving.then(() => savePendingContracts(chain.member.paths, snapshot, state))
  }
  const core = await runStep(
    progress,
    'deploy',
    'Deploying Relationship, Summary and Registrar',
    (update) =>
      deployMedrecContracts({
        walletClient,
        publicClient,
        artifacts: compiled.artifacts,
        existing: pending as Partial<Record<MedrecContractName, Address>>,
        onProgress: (event) => {
          update(`${event.name}: ${event.type}`)
          if (event.type === 'deployed') record(event.name, event.address)
        },
      }),
    (r) => (r.deployed.length === 0 ? 'already deployed' : `deployed ${r.deployed.join(', ')}`),
  )
  await saving
  const founders = chain.bundle.members.map((card) => ({name: card.name, account: card.signer}))
  const consortium = await runStep(
    progress,
    'consortium',
    `Handing governance to a Consortium of ${founders.map((f) => f.name).join(', ')}`,
    () =>
      establishConsortium({
        walletClient,
        publicClient,
        registrar: core.addresses.Registrar,
        artifact: compiled.artifacts.Consortium!,
        founders: founders.map((f) => ({id: providerIdentity(f.name), account: f.account})),
        existing: pending.Consortium,
        onDeployed: (address) => record('Consortium', address),
      }),
    (c) => `Consortium ${c.consortium}`,
  )
  await saving
  const anchors = await runStep(progress, 'audit-anchors', 'Deploying AuditAnchors', () =>
    deployAuditAnchors({
      walletClient,
      publicClient,
      registrar: core.addresses.Registrar,
      artifact: compiled.artifacts.AuditAnchors!,
      existing: pending.AuditAnchors,
      onDeployed: (address) => record('AuditAnchors', address),
    }),
  )
  await saving
  const addresses: Record<string, Address> = {
    ...core.addresses,
    Consortium: consortium.consortium,
    AuditAnchors: anchors.address,
  }
  const later = [
    ['Consortium', consortium.deployed],
    ['AuditAnchors', anchors.deployed],
  ] as const
  // The code hashes read back from this member's own node, and checked against its own artifacts.
  const contracts = await describeDeployedContracts(chain.readCode, addresses)
  const verified = await verifyBundleContracts({readCode: chain.readCode, contracts, artifacts: compiled.artifacts})
  const exported = await runStep(progress, 'export', 'Listing them in the consortium bundle', () =>
    exportBundle({
      dir: options.dir,
      changes: [{type: 'contracts', contracts}],
      verifiedContracts: verified,
      ...(options.out ? {out: options.out} : {}),
    }),
  )
  await clearPendingContracts(chain.member.paths)
  return {
    chainId: chain.chain.id,
    addresses,
    deployed: [...core.deployed, ...later.filter(([, d]) => d).map(([n]) => n)],
    reused: [...core.reused, ...later.filter(([, d]) => !d).map(([n]) => n)],
    founders,
    revision: exported.revision,
    bundleFile: exported.bundleFile,
    ...(exported.out ? {out: exported.out} : {}),
    solcVersion: compiled.solcVersion,
  }
}
