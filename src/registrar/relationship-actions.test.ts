import {describe, expect, it} from 'vitest'

import {randomIdentity} from '../contracts/testing/medrec-test-world.js'
import {errorCodes} from '../errors/error-codes.js'
import {canAccess, showRelationship} from './read-registrar.js'
import {grantViewer, proposeRelationship, revokeViewer, setRelationshipStatus} from './relationship-actions.js'
import {enrolTestPatient, registrarTestNetwork, useRegistrarTestChain} from './testing/registrar-test-network.js'

const test = useRegistrarTestChain()

// The relationship services through a real network directory: each sends its Registrar call
// through the typed sender, as `medrec relationship …` does.
describe('relationship services', () => {
  it('proposes, accepts, grants and revokes through the Registrar, each as the right key', async () => {
    // Given a provider and a patient whose keys are in the directory, and a viewer
    const net = await registrarTestNetwork(test, ['mercy', 'alice', 'viewer'])
    const mercyId = randomIdentity()
    await net.world.registrarSend(net.world.governance, 'registerProvider', [mercyId, net.keys.mercy!.address])
    const alice = await enrolTestPatient(net.world, net.keys.alice!)
    // When the provider proposes and the patient accepts
    const proposed = await proposeRelationship({
      dir: net.dir,
      patient: alice,
      endpoint: 'https://gatekeeper.mercy.example',
      as: 'mercy',
    })
    expect(proposed).toMatchObject({patient: alice, steward: mercyId, stewardAccount: net.keys.mercy!.address})
    const accepted = await setRelationshipStatus({
      dir: net.dir,
      relationship: proposed.relationship,
      as: 'alice',
      action: 'accept',
    })
    expect(accepted).toMatchObject({action: 'accept', by: net.keys.alice!.address})
    expect((await showRelationship({dir: net.dir, relationship: proposed.relationship})).status).toBe('accepted')
    // Then the patient grants the viewer, who may read until the patient revokes it
    const viewer = net.keys.viewer!.address
    const access = {dir: net.dir, relationship: proposed.relationship, requester: 'viewer', scope: 1n}
    expect((await canAccess(access)).allowed).toBe(false)
    const grant = {dir: net.dir, relationship: proposed.relationship, as: 'alice', viewer: 'viewer'}
    await grantViewer({...grant, scope: 1n, expiresInSeconds: 3600})
    expect((await canAccess(access)).allowed).toBe(true)
    const revoked = await revokeViewer(grant)
    expect(revoked).toMatchObject({action: 'revoke', viewer})
    expect((await canAccess(access)).allowed).toBe(false)
    // And the steward cannot end what only the patient may, refused with the contract's reason
    await expect(
      setRelationshipStatus({dir: net.dir, relationship: proposed.relationship, as: 'mercy', action: 'end'}),
    ).rejects.toMatchObject({
      code: errorCodes.CONTRACT_REVERTED,
      message: expect.stringContaining('end relationship'),
      hint: expect.stringContaining('Only the patient'),
    })
  })
})
