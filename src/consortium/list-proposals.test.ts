import {encodeFunctionData, getAddress} from 'viem'
import {describe, expect, it} from 'vitest'

import {consortiumAbi} from '../contracts/abi/consortium.js'
import {patientIdentity} from '../contracts/derive-identity.js'
import {newAccount, randomAddress, randomIdentity, send} from '../contracts/testing/medrec-test-world.js'
import {approveProvider} from './approve-provider.js'
import {listProposals} from './list-proposals.js'
import {providerIdentity} from './provider-identity.js'
import {recoverPatient} from './recover-patient.js'
import {recoverSteward} from './recover-steward.js'
import {removeProvider} from './remove-provider.js'
import {
  addNodelessProvider,
  enrolPatient,
  nodelessEngine as engine,
  useConsortiumChain,
} from './testing/consortium-network.js'
import {transferGovernance} from './transfer-governance.js'

const ctx = useConsortiumChain()

describe('consortium proposals', () => {
  it('lists open proposals of every kind with their tallies and voters, newest first', async () => {
    // Given a consortium of three with a whitelisted lab and an enrolled patient
    const net = await ctx.network()
    await addNodelessProvider(net, 'lab-one')
    const patient = await newAccount(net.chain)
    const enrolmentRef = randomIdentity()
    await enrolPatient(net, 'sealer-1', patient, enrolmentRef)
    const patientId = patientIdentity(providerIdentity('sealer-1'), enrolmentRef)
    const successor = net.addresses.Summary // any contract will do for a proposal that never passes here
    const [stewardTo, patientTo] = [randomAddress(), randomAddress()]

    // When one member votes for a proposal of each kind
    const admitted = await addNodelessProvider(net, 'clinic', ['sealer-1'])
    await removeProvider({dir: net.dir, engine, name: 'lab-one', voteAs: ['sealer-2']})
    await recoverSteward({dir: net.dir, steward: 'lab-one', to: stewardTo, as: 'sealer-1'})
    await recoverPatient({dir: net.dir, patient: {id: patientId}, to: patientTo, as: 'sealer-3'})
    await transferGovernance({dir: net.dir, next: successor, as: 'sealer-1'})

    // Then each is listed with its tally and who voted
    const listing = await listProposals({dir: net.dir})
    expect(listing).toMatchObject({consortium: net.consortium, members: 3, threshold: 2})
    expect(listing.proposals.map((p) => [p.action, p.name, p.account, p.votes, p.threshold, p.votedBy])).toEqual([
      ['transfer-governance', null, getAddress(successor), 1, 2, ['sealer-1']],
      ['recover-patient', null, patientTo, 1, 2, ['sealer-3']],
      ['recover-steward', 'lab-one', stewardTo, 1, 2, ['sealer-1']],
      ['remove', 'lab-one', '0x0000000000000000000000000000000000000000', 1, 2, ['sealer-2']],
      ['admit', 'clinic', admitted.account, 1, 2, ['sealer-1']],
    ])
    expect(listing.proposals.find((p) => p.action === 'recover-patient')?.subject).toBe(patientId)

    // When the admission passes and sealer-1 withdraws its vote for the governance transfer
    await approveProvider({dir: net.dir, engine, name: 'clinic', as: 'sealer-3'})
    const governanceKey = listing.proposals[0]!.key
    const withdraw = encodeFunctionData({abi: consortiumAbi, functionName: 'withdrawVote', args: [governanceKey]})
    await send(net.chain, await net.account('sealer-1'), net.consortium, withdraw)
    // Then neither is open any more; the others still are
    expect((await listProposals({dir: net.dir})).proposals.map((p) => p.action)).toEqual([
      'recover-patient',
      'recover-steward',
      'remove',
    ])
  })
})
