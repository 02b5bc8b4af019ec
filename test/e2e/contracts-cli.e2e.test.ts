import {afterEach, describe, expect, it} from 'vitest'

import {forceRemoveNetwork, initE2eNetwork, rpc} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created: string[] = []
afterEach(async () => {
  for (const name of created.splice(0)) await forceRemoveNetwork(name)
})

describe.skipIf(!prerequisites.ok)('contracts and the registrar through the CLI, on real sealers', () => {
  it('deploys once, registers a provider and a patient, and runs a relationship from proposal to end', async () => {
    // Given a running network
    const net = await initE2eNetwork('e2e-rel', ['--sealers', '2'])
    created.push(net.name)
    const medrec = async (...args: string[]) => {
      const run = await runMedrec([...args, '--dir', net.dir, '--json'])
      if (run.exitCode !== 0) throw new Error(`medrec ${args.join(' ')} failed: ${run.stdout}\n${run.stderr}`)
      return run.json
    }
    expect((await runMedrec(['network', 'up', '--dir', net.dir, '--json'])).exitCode).toBe(0)

    // When the contracts are deployed, twice
    const deployed = await medrec('contracts', 'deploy')
    const again = await medrec('contracts', 'deploy')

    // Then the second run finds and keeps them; the Registrar has code on chain
    expect(deployed.deployed).toEqual(['Relationship', 'Summary', 'Registrar'])
    expect(again).toMatchObject({deployed: [], reused: ['Relationship', 'Summary', 'Registrar'], addresses: deployed.addresses})
    expect((await rpc(net.rpcUrl, 'eth_getCode', [deployed.addresses.Registrar, 'latest'])).body.result.length).toBeGreaterThan(1000)

    // Given accounts for a provider, a patient and a second provider who will view
    for (const name of ['mercy', 'alice', 'st-anne']) expect((await medrec('account', 'create', name, '--light-kdf')).created).toBe(true)

    // When governance registers both providers and mercy registers alice with her signed consent
    const mercy = await medrec('registrar', 'register', 'provider', '--local-id', 'mercy-hospital', '--account', 'mercy', '--as', 'deployer')
    await medrec('registrar', 'register', 'provider', '--local-id', 'st-anne-clinic', '--account', 'st-anne', '--as', 'deployer')
    const alice = await medrec('registrar', 'register', 'patient', '--local-id', 'MRN-0042', '--account', 'alice', '--as', 'mercy')

    // Then each can be looked up both ways, with no local identifier on chain
    expect(alice).toMatchObject({kind: 'patient', outcome: 'registered', id: expect.stringMatching(/^0x[0-9a-f]{64}$/)})
    const byId = await medrec('registrar', 'show', '--local-id', 'MRN-0042')
    const byAccount = await medrec('registrar', 'show', '--account', 'alice')
    expect(byId).toEqual(byAccount)
    expect(byId).toMatchObject({id: alice.id, kind: 'patient', account: alice.account})
    expect(await medrec('registrar', 'show', '--account', 'mercy')).toMatchObject({id: mercy.id, kind: 'provider', certified: true})

    // When mercy proposes a relationship pointing at its gatekeeper
    const proposal = await medrec('relationship', 'propose', '--patient-local-id', 'MRN-0042', '--endpoint', 'https://gk.mercy.example', '--as', 'mercy')
    const rel = proposal.relationship as string
    expect(await medrec('relationship', 'show', rel)).toMatchObject({status: 'proposed', patient: alice.id, steward: mercy.id, pointer: {endpoint: 'https://gk.mercy.example'}})

    // Then only the patient can accept it: the steward is refused by the contract, by name
    const stewardAccepts = await runMedrec(['relationship', 'accept', rel, '--as', 'mercy', '--dir', net.dir, '--json'])
    expect(stewardAccepts.exitCode).toBe(1)
    expect(stewardAccepts.json.error).toMatchObject({code: 'MEDREC_CONTRACT_REVERTED', message: expect.stringContaining('NotPatient')})

    // When alice accepts and grants st-anne a view
    await medrec('relationship', 'accept', rel, '--as', 'alice')
    await medrec('relationship', 'grant', rel, '--viewer', 'st-anne', '--scope', '1', '--expires-in', '1d', '--as', 'alice')

    // Then st-anne may read, a stranger may not
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'st-anne')).toMatchObject({allowed: true})
    expect(await medrec('relationship', 'can-access', rel, '--requester', '0x000000000000000000000000000000000000dEaD')).toMatchObject({allowed: false})
    expect((await medrec('relationship', 'show', rel)).viewers).toEqual([expect.objectContaining({scope: '1'})])

    // When alice revokes st-anne
    await medrec('relationship', 'revoke', rel, '--viewer', 'st-anne', '--as', 'alice')

    // Then st-anne is refused from the next block on, and no longer listed
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'st-anne')).toMatchObject({allowed: false})
    expect((await medrec('relationship', 'show', rel)).viewers).toEqual([])

    // When alice ends the relationship
    await medrec('relationship', 'end', rel, '--as', 'alice')

    // Then it is ended, its history listed for both parties, and it cannot be accepted again
    expect(await medrec('relationship', 'show', rel)).toMatchObject({status: 'ended'})
    const list = await medrec('registrar', 'relationships', '--account', 'alice')
    expect(list).toMatchObject({total: 1, relationships: [{relationship: rel, status: 'ended', previousStatus: 'accepted', round: 1}]})
    expect((await medrec('registrar', 'relationships', '--local-id', 'mercy-hospital')).relationships[0].relationship).toBe(rel)
    const reaccept = await runMedrec(['relationship', 'accept', rel, '--as', 'alice', '--dir', net.dir, '--json'])
    expect(reaccept.exitCode).toBe(1)
    expect(reaccept.json.error.message).toContain('InvalidTransition')
  })
})
