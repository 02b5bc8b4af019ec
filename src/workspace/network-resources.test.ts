import {describe, expect, it} from 'vitest'

import {chooseFreeSubnet, nodeIp, subnetsOverlap} from './network-resources.js'

describe('subnets', () => {
  it('detects overlapping CIDR blocks', () => {
    expect(subnetsOverlap('10.213.0.0/24', '10.213.0.0/24')).toBe(true)
    expect(subnetsOverlap('10.0.0.0/8', '10.213.7.0/24')).toBe(true)
    expect(subnetsOverlap('10.213.1.0/24', '10.213.0.0/24')).toBe(false)
    expect(subnetsOverlap('172.17.0.0/16', '10.213.0.0/24')).toBe(false)
  })

  it('chooses the first /24 that no Docker network uses', () => {
    expect(chooseFreeSubnet([])).toBe('10.213.0.0/24')
    expect(chooseFreeSubnet(['172.17.0.0/16', '10.213.0.0/24', '10.213.1.0/24'])).toBe('10.213.2.0/24')
    expect(chooseFreeSubnet(['10.213.0.0/16'])).toBeUndefined()
  })

  it('places nodes on the subnet by host number', () => {
    expect(nodeIp('10.213.4.0/24', 10)).toBe('10.213.4.10')
  })
})
