import {mkdir, mkdtemp, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {errorCodes} from '../errors/error-codes.js'
import {refusal, thrownRefusal} from '../errors/testing/refusal.js'
import {fhirImportLimits, locateJsonSyntaxError, parseFhirBundle, readFhirBundleFile} from './fhir-bundle.js'

function bundle(resources: unknown[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({fullUrl: 'urn:uuid:x', resource})),
  }
}

/** An object nested `depth` levels deep, counting the outer object as level 1. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {leaf: true}
  for (let level = 1; level < depth; level++) value = {child: value}
  return value
}

async function temporaryDirectory(): Promise<{dir: string; [Symbol.asyncDispose](): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-fhir-'))
  return {dir, [Symbol.asyncDispose]: () => rm(dir, {recursive: true, force: true})}
}

describe('parseFhirBundle', () => {
  it('returns the resources of a Bundle in order', () => {
    // Given a Bundle of two resources
    const patient = {resourceType: 'Patient', id: 'p-1', name: [{family: 'Doe'}]}
    const observation = {resourceType: 'Observation', id: 'obs.1', status: 'final'}

    // Then both come back, as they are
    expect(parseFhirBundle(bundle([patient, observation]), 'b.json')).toEqual([patient, observation])
  })

  it('accepts a single resource, and a Bundle without entries', () => {
    expect(parseFhirBundle({resourceType: 'Patient', id: 'A-z.0-9'}, 'p.json')).toEqual([
      {resourceType: 'Patient', id: 'A-z.0-9'},
    ])
    expect(parseFhirBundle({resourceType: 'Bundle', type: 'collection'}, 'b.json')).toEqual([])
  })

  it('reports every problem at once, each with its path, and names the source', () => {
    // Given a Bundle with a different problem in most entries
    const good = {resourceType: 'Patient', id: 'p-1'}
    const input = {
      resourceType: 'Bundle',
      entry: [
        {resource: good},
        {resource: {resourceType: 'Observation'}},
        {resource: {resourceType: 'observation', id: 'o-1'}},
        {resource: {resourceType: 'Observation', id: 'has space'}},
        {request: {method: 'DELETE', url: 'Patient/p-9'}},
        'not an entry',
        {resource: {resourceType: 'Bundle', id: 'inner'}},
        {resource: {...good, active: true}},
        {resource: {resourceType: 'Observation', id: 'deep', value: nested(fhirImportLimits.maxDepth)}},
        {resource: {resourceType: 'Observation', id: 'x'.repeat(65)}},
        {resource: {resourceType: 42, id: 7}},
        {resource: []},
      ],
    }

    // When it is parsed
    const error = thrownRefusal(() => parseFhirBundle(input, 'export.json'))

    // Then one error lists them all
    expect(error).toMatchObject({
      code: errorCodes.FHIR_INVALID,
      message: 'export.json cannot be imported: 12 problems; nothing was imported.',
    })
    expect(error.details).toEqual([
      'entry[1].resource.id: missing; every imported resource needs an id',
      expect.stringMatching(/^entry\[2\]\.resource\.resourceType: "observation" is not a FHIR resource type/),
      expect.stringMatching(/^entry\[3\]\.resource\.id: "has space" is not a FHIR id/),
      expect.stringMatching(/^entry\[4\]\.resource: missing \(an entry without a resource/),
      'entry[5]: expected an object, got "not an entry"',
      expect.stringMatching(/^entry\[6\]\.resource\.resourceType: a Bundle inside a Bundle/),
      'entry[7].resource: Patient/p-1 appears again (first at entry[0].resource)',
      `entry[8].resource: nested more than ${fhirImportLimits.maxDepth} levels deep`,
      expect.stringMatching(/^entry\[9\]\.resource\.id: a 65-character string is not a FHIR id/),
      expect.stringMatching(/^entry\[10\]\.resource\.resourceType: number 42 is not/),
      expect.stringMatching(/^entry\[10\]\.resource\.id: number 7 is not a FHIR id/),
      'entry[11].resource: expected a FHIR resource (a JSON object), got an array',
    ])
  })

  it('accepts a resource nested exactly to the depth limit', () => {
    // The resource is level 1; `nested(31)` adds levels 2 to 32
    const resource = {resourceType: 'Observation', id: 'o', value: nested(fhirImportLimits.maxDepth - 1)}
    expect(parseFhirBundle(resource, 'o.json')).toEqual([resource])
    expect(
      thrownRefusal(() => parseFhirBundle({...resource, value: nested(fhirImportLimits.maxDepth)}, 'o.json')).details,
    ).toEqual([`(root): nested more than ${fhirImportLimits.maxDepth} levels deep`])
  })

  it('refuses JSON that is not an object, and an object without resourceType and id', () => {
    for (const input of [[], 'Patient', null, 3]) {
      expect(thrownRefusal(() => parseFhirBundle(input, 'x.json')).details, JSON.stringify(input)).toEqual([
        expect.stringMatching(/^\(root\): expected a FHIR Bundle or resource/),
      ])
    }
    expect(thrownRefusal(() => parseFhirBundle({name: 'Jane'}, 'x.json')).details).toEqual([
      'resourceType: missing',
      'id: missing; every imported resource needs an id',
    ])
    expect(thrownRefusal(() => parseFhirBundle({resourceType: 'Bundle', entry: {}}, 'x.json')).details).toEqual([
      'entry: expected an array of entries, got an object',
    ])
  })

  it(`refuses a Bundle of more than ${fhirImportLimits.maxEntries} entries without checking each`, () => {
    const entries = Array.from({length: fhirImportLimits.maxEntries + 1}, () => ({resource: {}}))
    expect(thrownRefusal(() => parseFhirBundle({resourceType: 'Bundle', entry: entries}, 'big.json')).details).toEqual([
      `entry: ${fhirImportLimits.maxEntries + 1} entries; at most ` +
        `${fhirImportLimits.maxEntries} can be imported at once (split the Bundle)`,
    ])
    expect(
      parseFhirBundle(
        bundle(
          Array.from({length: fhirImportLimits.maxEntries}, (_, i) => ({resourceType: 'Observation', id: `o${i}`})),
        ),
        'max.json',
      ),
    ).toHaveLength(fhirImportLimits.maxEntries)
  })

  it('lists the first 100 problems and counts the rest', () => {
    const error = thrownRefusal(() =>
      parseFhirBundle(bundle(Array.from({length: 250}, () => ({resourceType: 'Observation'}))), 'b.json'),
    )
    expect(error.message).toMatch(/250 problems/)
    expect(error.details).toHaveLength(101)
    expect(error.details.at(-1)).toBe('… and 150 more')
  })
})

describe('readFhirBundleFile', () => {
  it('reads a Bundle file, with or without a byte order mark', async () => {
    // Given a Bundle written with a BOM, as some Windows tools do
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'bundle.json')
    await writeFile(path, `\uFEFF${JSON.stringify(bundle([{resourceType: 'Patient', id: 'p'}]), null, 2)}`)

    // Then its resources are read
    expect(await readFhirBundleFile(path)).toEqual([{resourceType: 'Patient', id: 'p'}])
  })

  it('says when there is no such file, or a directory stands there', async () => {
    await using tmp = await temporaryDirectory()
    const missing = join(tmp.dir, 'missing.json')
    await expect(readFhirBundleFile(missing)).rejects.toMatchObject({
      code: errorCodes.FILE_ACCESS,
      message: `No file at ${missing}.`,
    })
    await mkdir(join(tmp.dir, 'folder.json'))
    await expect(readFhirBundleFile(join(tmp.dir, 'folder.json'))).rejects.toMatchObject({
      code: errorCodes.FILE_ACCESS,
      message: expect.stringMatching(/not a regular file/),
    })
  })

  it('gives the line and column of a JSON syntax error without quoting the file', async () => {
    // Given a file with a missing comma on line 3, next to a patient's name
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'broken.json')
    await writeFile(path, '{\n  "resourceType": "Patient",\n  "name": "Jane Doe" "id": "p"\n}\n')

    // Then the error points there, and the name is nowhere in it
    const error = await refusal(readFhirBundleFile(path))
    expect(error).toMatchObject({
      code: errorCodes.FHIR_NOT_JSON,
      message: `${path} is not valid JSON (line 3, column 22: expected ',' or '}').`,
    })
    expect(JSON.stringify(error.toJSON())).not.toContain('Jane')
  })

  it('refuses a file that is not UTF-8', async () => {
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'latin1.json')
    await writeFile(path, Buffer.from('{"resourceType":"Patient","id":"p","name":"Ren\xe9"}', 'latin1'))
    await expect(readFhirBundleFile(path)).rejects.toMatchObject({
      code: errorCodes.FHIR_NOT_JSON,
      message: expect.stringMatching(/not UTF-8/),
    })
  })

  it('refuses a file over 50 MiB before reading it', async () => {
    // Given a (sparse) file one byte over the limit
    await using tmp = await temporaryDirectory()
    const path = join(tmp.dir, 'huge.json')
    await writeFile(path, '')
    await truncate(path, fhirImportLimits.maxFileBytes + 1)

    // Then it is refused by its size
    await expect(readFhirBundleFile(path)).rejects.toMatchObject({
      code: errorCodes.FHIR_INVALID,
      message: `${path} is 50.0 MiB; at most 50.0 MiB can be imported at once.`,
    })
  })
})

describe('locateJsonSyntaxError', () => {
  it('finds nothing in valid JSON and the first error in invalid JSON', () => {
    // Valid texts: the scan agrees with JSON.parse
    for (const valid of ['{}', '[]', ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"k": [{}]}] ', '"x"', '0']) {
      expect(() => JSON.parse(valid)).not.toThrow()
      expect(locateJsonSyntaxError(valid), valid).toBeUndefined()
    }
    // Invalid texts: where and why
    const cases: Array<[string, number, number, string]> = [
      ['', 1, 1, 'the text ends too early'],
      ['{"a": 1,}', 1, 9, 'expected a property name in double quotes'],
      ['[1 2]', 1, 4, "expected ',' or ']'"],
      ['{"a" 1}', 1, 6, "expected ':' after the property name"],
      ['{"a": tru}', 1, 7, 'expected a value'],
      ['{"a": "x\ny"}', 1, 9, 'a control character inside a string (escape it)'],
      ['["\\x"]', 1, 3, 'an invalid escape in a string'],
      ['{}\n}', 2, 1, 'unexpected text after the JSON value'],
      ['{"a": [1, 2', 1, 12, 'the text ends too early'],
      ["{'a': 1}", 1, 2, 'expected a property name in double quotes'],
    ]
    for (const [text, line, column, problem] of cases) {
      expect(() => JSON.parse(text)).toThrow()
      expect(locateJsonSyntaxError(text), text).toEqual({line, column, problem})
    }
  })
})
