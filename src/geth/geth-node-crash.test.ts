import {describe, expect, it} from 'vitest'

import type {ContainerEngine, ContainerInfo} from '../docker/container-engine.js'
import {gethCrashLines} from './geth-node-crash.js'

/** The one engine call gethCrashLines makes: a container's log, the same text every time. */
function engineLogging(text: string) {
  const asked: {id: string; tail: number}[] = []
  const engine = {
    logsText: async (id: string, tail: number) => {
      asked.push({id, tail})
      return text
    },
  } as unknown as ContainerEngine
  return {engine, asked}
}

function container(state: string, restartCount: number): ContainerInfo {
  return {id: 'c1', name: 'medrec-x_sealer-1', labels: {}, state, exitCode: 1, restartCount, ips: {}}
}

describe('gethCrashLines', () => {
  it('sees nothing in a running container, and remembers its restart count from the first look', async () => {
    const {engine, asked} = engineLogging('INFO started\n')
    const baseline = new Map<string, number>()
    expect(await gethCrashLines(engine, 'sealer-1', container('running', 2), baseline)).toBeUndefined()
    expect(baseline.get('sealer-1')).toBe(2)
    expect(asked).toEqual([])
  })

  it('counts a restart since the first look as a crash, and names its fatal lines once each', async () => {
    const log = ['INFO a', 'Fatal: could not decrypt key', 'INFO b', 'Fatal: could not decrypt key', 'panic: x'].join(
      '\n',
    )
    const {engine, asked} = engineLogging(log)
    const baseline = new Map([['sealer-1', 2]])
    expect(await gethCrashLines(engine, 'sealer-1', container('running', 3), baseline)).toEqual([
      'Fatal: could not decrypt key',
      'panic: x',
    ])
    expect(asked).toEqual([{id: 'sealer-1', tail: 30}])
  })

  it.each(['exited', 'dead', 'restarting'])(
    'counts a %s container as crashed, naming its last five lines',
    async (state) => {
      const {engine} = engineLogging(`${['1', '2', '3', '4', '5', '6'].map((n) => `INFO line ${n}`).join('\n')}\n`)
      expect(await gethCrashLines(engine, 'c1', container(state, 0), new Map())).toEqual([
        'INFO line 2',
        'INFO line 3',
        'INFO line 4',
        'INFO line 5',
        'INFO line 6',
      ])
    },
  )
})
