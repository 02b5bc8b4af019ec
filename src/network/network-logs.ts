import type {Readable} from 'node:stream'

import {labelKeys, type ContainerEngine} from '../docker/container-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {rpcNodeName} from '../workspace/network-keys.js'
import {reconcilerNodeName} from '../workspace/reconciler-names.js'
import {loadNetwork} from '../workspace/load-network.js'
import {findNetworkResources} from '../workspace/network-resources.js'

export type NodeLogStream = {node: string; stream: Readable}

/** Opens the log streams of one node (a sealer's name, "rpc" or "reconciler") or of every node. */
export async function openNetworkLogs(options: {
  dir: string
  engine: ContainerEngine
  node?: string
  follow: boolean
  tail?: number
}): Promise<NodeLogStream[]> {
  const {config, state} = await loadNetwork(options.dir)
  const known = [...config.sealers.map((s) => s.name), rpcNodeName, reconcilerNodeName]
  if (options.node !== undefined && !known.includes(options.node)) {
    throw new MedrecError(errorCodes.NODE_NOT_FOUND, `There is no node "${options.node}" in this network.`, {
      hint: `Nodes: ${known.join(', ')}.`,
    })
  }
  await options.engine.ping()
  const {containers} = await findNetworkResources(options.engine, state.networkId)
  const nodes = containers.filter(
    (c) =>
      ['sealer', 'rpc', 'reconciler'].includes(c.labels[labelKeys.role] ?? '') &&
      (options.node === undefined || c.labels[labelKeys.node] === options.node),
  )
  if (nodes.length === 0) {
    throw new MedrecError(
      errorCodes.NETWORK_NOT_CREATED,
      options.node ? `Node ${options.node} has no container.` : 'This network has no containers.',
      {
        hint: 'Run `medrec network up` first.',
      },
    )
  }
  nodes.sort((a, b) => (a.labels[labelKeys.node] ?? '').localeCompare(b.labels[labelKeys.node] ?? ''))
  return Promise.all(
    nodes.map(async (c) => ({
      node: c.labels[labelKeys.node] ?? c.name,
      stream: await options.engine.logs(c.id, {
        follow: options.follow,
        ...(options.tail === undefined ? {} : {tail: options.tail}),
      }),
    })),
  )
}
