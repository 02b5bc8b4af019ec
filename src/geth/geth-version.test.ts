import {describe, expect, it} from 'vitest'

import {explainUnsupportedGeth, explainUnsupportedImageTag, parseGethVersionOutput} from './geth-version.js'

describe('geth versions', () => {
  it('reads the version from `geth version` output', () => {
    const output = 'Geth\nVersion: 1.13.15-stable\nGit Commit: c5ba367e\nArchitecture: amd64\n'
    expect(parseGethVersionOutput(output)).toMatchObject({major: 1, minor: 13, patch: 15, raw: '1.13.15-stable'})
    expect(parseGethVersionOutput('not geth')).toBeUndefined()
  })

  it('accepts any 1.13.x and refuses 1.14+ with the reason', () => {
    expect(explainUnsupportedGeth({major: 1, minor: 13, patch: 5, raw: '1.13.5'})).toBeUndefined()
    expect(explainUnsupportedGeth({major: 1, minor: 14, patch: 0, raw: '1.14.0'})).toMatch(
      /removed non-merge block production/,
    )
    expect(explainUnsupportedGeth({major: 1, minor: 12, patch: 2, raw: '1.12.2'})).toMatch(/older/)
  })

  it.each([
    ['ethereum/client-go', /not pinned/],
    ['ethereum/client-go:latest', /not pinned/],
    ['ethereum/client-go:stable', /not pinned/],
    ['ethereum/client-go:v1.14.0', /cannot seal Clique/],
    ['ethereum/client-go:release-1.15', /cannot seal Clique/],
    ['registry.local:5000/geth:v1.16.1', /cannot seal Clique/],
  ])('refuses the image tag of %s', (reference, reason) => {
    expect(explainUnsupportedImageTag(reference)).toMatch(reason)
  })

  it.each([
    'ethereum/client-go:v1.13.15',
    'registry.local:5000/geth:1.13.14',
    'corp/geth:prod',
    'ethereum/client-go@sha256:abc',
  ])('accepts the image reference %s (non-version tags are checked by running geth)', (reference) => {
    expect(explainUnsupportedImageTag(reference)).toBeUndefined()
  })
})
