import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Address} from 'viem'
import {describe, expect, it} from 'vitest'

import {recordNetworkAddresses} from '../network/apply-up.js'
import {initNetwork} from '../network/init-network.js'
import {loadNetwork} from '../workspace/load-network.js'
import {networkPaths} from '../workspace/network-files.js'
import {readNetworkState} from '../workspace/network-state.js'
import {changeRecordedVotes} from '../workspace/save-recorded-votes.js'
import {awaitLine, sourceModuleUrl, startSourceProcess} from '../workspace/testing/source-process.js'
import {saveDeployedContract} from './deploy-network-contracts.js'

async function initialisedNetwork(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medrec-network-state-'))
  await initNetwork({dir, sealers: 1, lightKdf: true})
  return dir
}

/** A lowercase hex address whose last bytes are `n`, to vote on. */
const address = (n: number) => `0x${n.toString(16).padStart(40, '0')}`

const vote = (authorize: boolean) => ({authorize, sealers: ['sealer-1'], proposedAt: new Date().toISOString()})

/**
 * Another process, as a `medrec sealer propose` in the same directory: it loads the network, and on
 * "go" records a vote on each address, each its own change (as proposeSealerVote records one).
 */
function voterProcess(dir: string, addresses: readonly string[]) {
  return startSourceProcess(`
    const {loadNetwork} = await import(${JSON.stringify(sourceModuleUrl('workspace/load-network.ts'))})
    const {changeRecordedVotes} = await import(${JSON.stringify(sourceModuleUrl('workspace/save-recorded-votes.ts'))})
    const network = await loadNetwork(${JSON.stringify(dir)})
    console.log('ready')
    ${awaitLine('go')}
    const vote = {authorize: true, sealers: ['sealer-1'], proposedAt: new Date().toISOString()}
    const record = (address) => changeRecordedVotes(network, () => ({[address]: vote}))
    await Promise.all(${JSON.stringify(addresses)}.map(record))
    process.exit(0)
  `)
}

describe("a network's state.json changed by several commands at once", () => {
  it('keeps a vote recorded by another command while `network up` and a deploy save their own fields', async () => {
    // Given a network that `network up` and `contracts deploy` both loaded, and then another process recorded a vote
    const dir = await initialisedNetwork()
    const up = await loadNetwork(dir)
    const deploy = await loadNetwork(dir)
    const voter = voterProcess(dir, [address(7)])
    await voter.printed('ready')
    voter.send('go')
    expect(await voter.exited).toBe(0)
    // When up records the chain's addresses, and the deploy a contract it deployed
    await recordNetworkAddresses(up, {subnet: '10.213.7.0/24', ips: {'sealer-1': '10.213.7.10', rpc: '10.213.7.5'}})
    await saveDeployedContract(deploy, 'Registrar', address(1) as Address)
    // Then state.json holds the vote, the addresses and the contract, and each command's state is what it wrote
    const state = await readNetworkState(networkPaths(dir))
    expect(state).toMatchObject({
      subnet: '10.213.7.0/24',
      ips: {'sealer-1': '10.213.7.10', rpc: '10.213.7.5'},
      genesisSha256: up.genesisSha256,
      contracts: {Registrar: address(1)},
      votes: {[address(7)]: {authorize: true, sealers: ['sealer-1']}},
    })
    expect(deploy.state).toEqual(state)
    expect(up.state.votes).toEqual(state?.votes)
  })

  it('keeps every vote recorded by three commands at once, each on other addresses', async () => {
    // Given a network directory, and two other processes about to record 15 votes each
    const dir = await initialisedNetwork()
    const network = await loadNetwork(dir)
    const ours = Array.from({length: 15}, (_, i) => address(i + 1))
    const theirs = [0, 1].map((p) => Array.from({length: 15}, (_, i) => address(100 * (p + 1) + i)))
    const others = theirs.map((addresses) => voterProcess(dir, addresses))
    await Promise.all(others.map((other) => other.printed('ready')))
    // When all three record their votes at once
    for (const other of others) other.send('go')
    await Promise.all(ours.map((a) => changeRecordedVotes(network, () => ({[a]: vote(true)}))))
    expect(await Promise.all(others.map((other) => other.exited))).toEqual([0, 0])
    // Then every vote is recorded
    const votes = (await readNetworkState(networkPaths(dir)))?.votes ?? {}
    expect(Object.keys(votes).sort()).toEqual([...ours, ...theirs.flat()].sort())
  })
})
