import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {describeIssues} from './zod-issues.js'

const schema = z.strictObject({
  name: z.string(),
  sealers: z.array(z.strictObject({p2pPort: z.number().max(65_535)})),
})

describe('describeIssues', () => {
  it('names every problem by its dotted path, and the top level as such', () => {
    const parsed = schema.safeParse({sealers: [{p2pPort: 1}, {p2pPort: 70_000}], colour: 'red', size: 1})
    if (parsed.success) throw new Error('the value should have been refused')
    expect(describeIssues(parsed.error)).toEqual([
      'name: Invalid input: expected string, received undefined',
      'sealers.1.p2pPort: Too big: expected number to be <=65535',
      '(top level): unknown keys "colour", "size"',
    ])
  })

  it('calls unknown keys what the document calls its keys', () => {
    const parsed = schema.safeParse({name: 'carenet', sealers: [{p2pPort: 1, privateKey: '0x'}]})
    if (parsed.success) throw new Error('the value should have been refused')
    expect(describeIssues(parsed.error, 'field')).toEqual(['sealers.0: unknown field "privateKey"'])
  })
})
