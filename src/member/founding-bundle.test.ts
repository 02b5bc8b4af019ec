import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {pinnedGethImage} from '../geth/geth-version.js'
import {buildFoundingBundle, checkFoundingCards, checkFoundingNetwork} from './founding-bundle.js'
import {newTestMember} from './testing/member-fixtures.js'

const network = {name: 'carenet', chainId: 4_242_001, period: 5, epoch: 30_000, gasLimit: 30_000_000}

describe('founding a consortium from cards', () => {
  it('refuses a founding without founders', async () => {
    expect(() => checkFoundingCards([])).toThrow(expect.objectContaining({code: errorCodes.CONSORTIUM_NO_FOUNDERS}))
    const anne = await newTestMember('st-anne')
    await expect(
      buildFoundingBundle({
        network: {...network, image: pinnedGethImage},
        founders: [],
        identityKey: new Uint8Array(32),
        exportedBy: anne.card.signer,
        exportedAt: new Date(),
      }),
    ).rejects.toMatchObject({code: errorCodes.CONSORTIUM_NO_FOUNDERS})
  })

  it('refuses one card twice, naming both files', async () => {
    const anne = await newTestMember('st-anne')
    const bart = await newTestMember('st-bart')
    expect(() =>
      checkFoundingCards([
        {card: anne.card, source: 'mine.card.json'},
        {card: bart.card, source: 'st-bart.card.json'},
        {card: bart.card, source: 'copy/st-bart.card.json'},
      ]),
    ).toThrow(
      expect.objectContaining({
        code: errorCodes.CARD_DUPLICATE,
        details: expect.arrayContaining([
          `copy/st-bart.card.json: the same signer as st-bart.card.json (${bart.card.signer})`,
          'copy/st-bart.card.json: the same name as st-bart.card.json (st-bart)',
        ]),
      }),
    )
  })

  type Same = {privateKey?: boolean; name?: boolean; nodeKey?: boolean; address?: boolean}
  it.each<[string, Same, string]>([
    ['the same signer under another name', {privateKey: true}, 'signer'],
    ['the same name with other keys', {name: true}, 'name'],
    ['the same node key', {nodeKey: true}, 'node (enode)'],
    ['the same advertised address', {address: true}, 'address'],
  ])('refuses two cards with %s', async (_, same, label) => {
    const anne = await newTestMember('st-anne', {host: '10.9.9.9', port: 30_303})
    const twin = await newTestMember(same.name ? 'st-anne' : 'st-twin', {
      ...(same.privateKey ? {privateKey: anne.privateKey} : {}),
      ...(same.nodeKey ? {nodeKey: anne.nodeKey} : {}),
      ...(same.address ? {host: '10.9.9.9', port: 30_303} : {}),
    })
    let thrown: unknown
    try {
      checkFoundingCards([
        {card: anne.card, source: 'a.card.json'},
        {card: twin.card, source: 'b.card.json'},
      ])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({code: errorCodes.CARD_DUPLICATE})
    expect((thrown as {details: string[]}).details).toContainEqual(
      expect.stringMatching(
        new RegExp(`^b\\.card\\.json: the same ${label.replace(/[()]/g, '\\$&')} as a\\.card\\.json`),
      ),
    )
  })

  it("reports every problem with the network's settings at once", () => {
    let thrown: unknown
    try {
      checkFoundingNetwork({name: 'Care_Net', chainId: 1, period: 0, epoch: 30_000, gasLimit: 1, image: 'geth:latest'})
    } catch (error) {
      thrown = error
    }
    expect(thrown).toMatchObject({code: errorCodes.INVALID_ARGUMENT})
    const details = (thrown as {details: string[]}).details
    for (const field of ['name', 'period', 'gasLimit', 'chainId', 'image'])
      expect(
        details.some((d) => d.startsWith(`${field}: `)),
        field,
      ).toBe(true)
    expect(checkFoundingNetwork({...network, image: pinnedGethImage})).toEqual({...network, image: pinnedGethImage})
  })
})
