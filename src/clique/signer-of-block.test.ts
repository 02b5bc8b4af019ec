import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {BlockSignerScan} from './signer-of-block.js'

const alice = '0x00000000000000000000000000000000000000a1'
const bob = '0x00000000000000000000000000000000000000b2'

/** A real HTTP JSON-RPC endpoint answering clique_getSigner from a table; some blocks fail once. */
async function fakeClique(
  signers: Record<number, string>,
  failOnce: Set<number>,
): Promise<{url: string; asked: number[]; server: Server}> {
  const asked: number[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const call = JSON.parse(body) as {id: number; method: string; params: string[]}
      const block = Number(call.params[0])
      asked.push(block)
      response.setHeader('content-type', 'application/json')
      if (failOnce.delete(block)) {
        response.end(JSON.stringify({jsonrpc: '2.0', id: call.id, error: {code: -32000, message: 'unknown block'}}))
        return
      }
      response.end(JSON.stringify({jsonrpc: '2.0', id: call.id, result: signers[block]}))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server}
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

describe('BlockSignerScan', () => {
  it('asks each block once across polls and stops at the first block the visitor wants', async () => {
    // Given blocks 1-4 sealed by alice, bob, alice, bob
    const rpc = await fakeClique({1: alice, 2: bob, 3: alice, 4: bob}, new Set())
    const scan = new BlockSignerScan(rpc.url, 0)
    // When the head is at 1, then at 4, looking for bob
    const isBob = (_: number, signer: string) => signer.toLowerCase() === bob
    expect(await scan.scanTo(1, isBob)).toBeUndefined()
    expect(await scan.scanTo(4, isBob)).toBe(2)
    // Then block 1 was asked once, and the scan stopped at block 2
    expect(rpc.asked).toEqual([1, 2])
  })

  it('resumes at the block whose signer could not be read', async () => {
    const rpc = await fakeClique({1: alice, 2: bob, 3: alice}, new Set([2]))
    const scan = new BlockSignerScan(rpc.url, 0)
    const seen: number[] = []
    await expect(scan.scanTo(3, (block) => void seen.push(block))).rejects.toThrow('unknown block')
    await scan.scanTo(3, (block) => void seen.push(block))
    expect(seen).toEqual([1, 2, 3])
    expect(rpc.asked).toEqual([1, 2, 2, 3])
  })
})
