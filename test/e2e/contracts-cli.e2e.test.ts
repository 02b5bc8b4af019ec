import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {initE2eNetwork, rpc, throwawayNetworks} from '../helpers/e2e-network.js'
import {e2ePrerequisites} from '../helpers/e2e-prerequisites.js'
import {medrecIn, runMedrec} from '../helpers/run-medrec.js'

const prerequisites = await e2ePrerequisites()
const created = throwawayNetworks()

describe.skipIf(!prerequisites.ok)('contracts and the registrar through the CLI, on real sealers', () => {
  it('deploys once, registers a provider and a patient, and runs a relationship from proposal to end', async () => {
    // Given a running network
    const net = await initE2eNetwork('e2e-rel', ['--sealers', '2'])
    created.push(net.name)
    const medrec = medrecIn(net.dir)
    await medrec('network', 'up')

    // When the contracts are deployed, twice
    const deployed = await medrec('contracts', 'deploy')
    const again = await medrec('contracts', 'deploy')

    // Then the second run finds and keeps them; the Registrar has code on chain
    expect(deployed.deployed).toEqual(['Relationship', 'Summary', 'Registrar', 'Consortium', 'AuditAnchors'])
    const all = ['Relationship', 'Summary', 'Registrar', 'Consortium', 'AuditAnchors']
    expect(again).toMatchObject({deployed: [], reused: all, addresses: deployed.addresses})
    expect(
      (await rpc(net.rpcUrl, 'eth_getCode', [deployed.addresses.Registrar, 'latest'])).body.result.length,
    ).toBeGreaterThan(1000)

    // Given accounts for a provider, a patient and a second provider who will view
    for (const name of ['mercy', 'alice', 'st-anne'])
      expect((await medrec('account', 'create', name, '--light-kdf')).created).toBe(true)

    // And no --json output carries a key's password
    const passwords = await Promise.all(
      ['deployer', 'mercy', 'alice'].map((k) => readFile(join(net.dir, '.medrec/keys', k, 'password'), 'utf8')),
    )
    const again2 = await runMedrec(['account', 'create', 'alice', '--dir', net.dir, '--json'])
    expect(again2.json).toMatchObject({created: false, fundedWei: '0', fundingTx: null})
    for (const output of [JSON.stringify(deployed), again2.stdout, again2.stderr])
      for (const p of passwords) expect(output).not.toContain(p)

    // When the consortium's sealers admit both providers and mercy registers alice with her signed consent
    const mercy = await medrec('provider', 'add', 'mercy')
    await medrec('provider', 'add', 'st-anne')
    const alice = await medrec(
      'registrar',
      'register',
      'patient',
      '--local-id',
      'MRN-0042',
      '--account',
      'alice',
      '--consent',
      '--as',
      'mercy',
    )
    expect(deployed.governance).toBe(deployed.addresses.Consortium)

    // Then a provider cannot put itself (or anyone) on the whitelist: only the consortium can
    const selfCertify = await runMedrec([
      'registrar',
      'register',
      'provider',
      '--local-id',
      'rogue',
      '--account',
      'st-anne',
      '--as',
      'mercy',
      '--dir',
      net.dir,
      '--json',
    ])
    expect(selfCertify.exitCode).toBe(1)
    expect(selfCertify.json.error.message).toContain('NotGovernance')

    // And a patient whose key is not used by the provider is only offered registration, then confirms it
    await medrec('account', 'create', 'bob', '--light-kdf')
    const offer = await medrec(
      'registrar',
      'register',
      'patient',
      '--local-id',
      'MRN-0043',
      '--account',
      'bob',
      '--as',
      'mercy',
    )
    expect(offer).toMatchObject({outcome: 'offered', nextStep: expect.stringContaining('medrec registrar confirm')})
    expect((await runMedrec(['registrar', 'show', '--account', 'bob', '--dir', net.dir, '--json'])).exitCode).toBe(1)
    await medrec('registrar', 'confirm', '--local-id', 'MRN-0043', '--as', 'bob')
    expect(await medrec('registrar', 'show', '--account', 'bob')).toMatchObject({kind: 'patient', id: offer.id})

    // Then each can be looked up both ways, with no local identifier on chain
    expect(alice).toMatchObject({kind: 'patient', outcome: 'registered', id: expect.stringMatching(/^0x[0-9a-f]{64}$/)})
    const byId = await medrec('registrar', 'show', '--local-id', 'MRN-0042', '--provider', 'mercy')
    const byAccount = await medrec('registrar', 'show', '--account', 'alice')
    expect(byId).toEqual(byAccount)
    expect(byId).toMatchObject({id: alice.id, kind: 'patient', account: alice.account})
    expect(await medrec('registrar', 'show', '--account', 'mercy')).toMatchObject({
      id: mercy.id,
      kind: 'provider',
      certified: true,
    })

    // When mercy proposes a relationship pointing at its gatekeeper
    const proposal = await medrec(
      'relationship',
      'propose',
      '--patient-local-id',
      'MRN-0042',
      '--endpoint',
      'https://gk.mercy.example',
      '--as',
      'mercy',
    )
    const rel = proposal.relationship as string
    expect(await medrec('relationship', 'show', rel)).toMatchObject({
      status: 'proposed',
      patient: alice.id,
      steward: mercy.id,
      pointer: {endpoint: 'https://gk.mercy.example'},
    })

    // Then only the patient can accept it: the steward is refused by the contract, by name
    const stewardAccepts = await runMedrec(['relationship', 'accept', rel, '--as', 'mercy', '--dir', net.dir, '--json'])
    expect(stewardAccepts.exitCode).toBe(1)
    expect(stewardAccepts.json.error).toMatchObject({
      code: 'MEDREC_CONTRACT_REVERTED',
      message: expect.stringContaining('NotPatient'),
    })

    // When alice accepts and grants st-anne a view
    await medrec('relationship', 'accept', rel, '--as', 'alice')
    await medrec(
      'relationship',
      'grant',
      rel,
      '--viewer',
      'st-anne',
      '--scope',
      'Observation,Condition',
      '--expires-in',
      '1d',
      '--as',
      'alice',
    )

    // Then st-anne, the patient and the steward may read; a stranger may not
    expect(
      await medrec('relationship', 'can-access', rel, '--requester', 'st-anne', '--scope', 'Observation'),
    ).toMatchObject({allowed: true})
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'st-anne')).toMatchObject({allowed: false})
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'alice')).toMatchObject({allowed: true})
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'mercy')).toMatchObject({allowed: true})
    expect(
      await medrec('relationship', 'can-access', rel, '--requester', '0x000000000000000000000000000000000000dEaD'),
    ).toMatchObject({allowed: false})
    expect((await medrec('relationship', 'show', rel)).viewers).toEqual([expect.objectContaining({scope: '6'})])

    // When alice revokes st-anne
    await medrec('relationship', 'revoke', rel, '--viewer', 'st-anne', '--as', 'alice')

    // Then st-anne is refused from the next block on, and no longer listed
    expect(
      await medrec('relationship', 'can-access', rel, '--requester', 'st-anne', '--scope', 'Observation'),
    ).toMatchObject({allowed: false})
    expect((await medrec('relationship', 'show', rel)).viewers).toEqual([])

    // When alice ends the relationship
    await medrec('relationship', 'end', rel, '--as', 'alice')

    // Then it is ended, its history listed for both parties, and it cannot be accepted again
    expect(await medrec('relationship', 'show', rel)).toMatchObject({status: 'ended'})
    const list = await medrec('registrar', 'relationships', '--account', 'alice')
    expect(list).toMatchObject({
      total: 1,
      relationships: [{relationship: rel, status: 'ended', previousStatus: 'accepted', round: 1}],
    })
    expect((await medrec('registrar', 'relationships', '--account', 'mercy')).relationships[0].relationship).toBe(rel)
    const reaccept = await runMedrec(['relationship', 'accept', rel, '--as', 'alice', '--dir', net.dir, '--json'])
    expect(reaccept.exitCode).toBe(1)
    expect(reaccept.json.error.message).toContain('InvalidTransition')
    expect(await medrec('relationship', 'can-access', rel, '--requester', 'alice')).toMatchObject({allowed: false})

    // When mercy proposes again, the same relationship starts a second round with no viewers, which alice rejects
    const second = await medrec(
      'relationship',
      'propose',
      '--patient-local-id',
      'MRN-0042',
      '--endpoint',
      'https://gk.mercy.example',
      '--as',
      'mercy',
    )
    expect(second.relationship).toBe(rel)
    expect(await medrec('relationship', 'show', rel)).toMatchObject({status: 'proposed', round: 2, viewers: []})
    expect(await medrec('relationship', 'reject', rel, '--as', 'alice')).toMatchObject({
      action: 'reject',
      transactions: [expect.stringMatching(/^0x/)],
    })
    expect(await medrec('relationship', 'show', rel)).toMatchObject({status: 'rejected', round: 2})

    // And pages past the end are empty, not an error
    expect(await medrec('registrar', 'relationships', '--account', 'alice', '--offset', '5')).toMatchObject({
      total: 1,
      relationships: [],
    })

    // And the deployer can top up an account
    const fund = await medrec('account', 'fund', 'alice', '--amount', '0.25')
    expect(BigInt(fund.balanceWei)).toBeGreaterThan(10n ** 18n)
  })
})
