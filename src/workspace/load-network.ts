import {createHash} from 'node:crypto'

import type {Address} from 'viem'

import {loadNetworkConfig} from '../config/load-network-config.js'
import type {NetworkConfig} from '../config/network-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {loadCliqueGenesis, type CliqueGenesis} from '../genesis/clique-genesis.js'
import {networkPaths, type NetworkPaths} from './network-files.js'
import {ensureNetworkState, readNetworkState, type NetworkState} from './network-state.js'

export type LoadedNetwork = {
  config: NetworkConfig
  genesis: CliqueGenesis
  genesisSha256: string
  genesisText: string
  signers: Address[]
  state: NetworkState
  paths: NetworkPaths
}

/** What names a network's Docker objects and labels them as its own: medrec.yaml's name and state.json's id. */
export type NetworkIdentity = Pick<LoadedNetwork, 'config' | 'state'>

/** Reads medrec.yaml, genesis.json and state.json, and checks that they describe the same chain. */
export async function loadNetwork(dir: string): Promise<LoadedNetwork> {
  const paths = networkPaths(dir)
  const config = await loadNetworkConfig(dir)
  const {genesis, signers, text} = await loadCliqueGenesis(dir)
  const problems: string[] = []
  if (genesis.config.chainId !== config.network.chainId)
    problems.push(`chain id: genesis.json has ${genesis.config.chainId}, medrec.yaml has ${config.network.chainId}`)
  if (genesis.config.clique?.period !== config.network.period)
    problems.push(`period: genesis.json has ${genesis.config.clique?.period}, medrec.yaml has ${config.network.period}`)
  if (genesis.config.clique?.epoch !== config.network.epoch)
    problems.push(`epoch: genesis.json has ${genesis.config.clique?.epoch}, medrec.yaml has ${config.network.epoch}`)
  const configured = new Set(config.sealers.map((s) => s.address.toLowerCase()))
  for (const signer of signers)
    if (!configured.has(signer.toLowerCase()))
      problems.push(`signer ${signer} is in genesis.json but not among medrec.yaml's sealers`)
  const inGenesis = new Set(signers.map((s) => s.toLowerCase()))
  let state = await readNetworkState(paths)
  const started = state?.firstUpCompletedAt !== undefined
  // Once the chain runs, sealers join by vote, not by genesis: only check genesis ones before.
  if (!started) {
    for (const sealer of config.sealers)
      if (!inGenesis.has(sealer.address.toLowerCase()))
        problems.push(`sealer ${sealer.name} (${sealer.address}) is not a signer in genesis.json`)
  }
  if (problems.length > 0) {
    throw new MedrecError(errorCodes.GENESIS_MISMATCH, 'medrec.yaml and genesis.json describe different chains.', {
      details: problems,
      hint: started
        ? 'Restore the files from your backup.'
        : 'Regenerate genesis.json with `medrec network init --force` (keys are kept).',
    })
  }
  const genesisSha256 = createHash('sha256').update(text).digest('hex')
  if (state?.genesisSha256 && state.genesisSha256 !== genesisSha256) {
    throw new MedrecError(errorCodes.GENESIS_MISMATCH, "genesis.json changed after this network's chain was created.", {
      hint:
        'Restore the original genesis.json, or run `medrec network destroy` to start a new chain (its blocks ' +
        'are lost).',
    })
  }
  const chainProfile = state?.profile ?? 'standard'
  if (state?.genesisSha256 && chainProfile !== config.profile) {
    throw new MedrecError(
      errorCodes.PROFILE_CHANGED,
      `medrec.yaml says profile ${config.profile}, but this network's chain was created with profile ${chainProfile}.`,
      {
        hint:
          `Set \`profile: ${chainProfile}\` again in medrec.yaml, or run \`medrec network destroy\` first to start ` +
          'a new chain with the other profile (its blocks are lost).',
      },
    )
  }
  state ??= await ensureNetworkState(paths)
  return {config, genesis, genesisSha256, genesisText: text, signers, state, paths}
}

/** The URL users reach the keyless RPC node at. */
export function rpcUrlOf(config: NetworkConfig): string {
  const host = config.rpc.host === '0.0.0.0' ? '127.0.0.1' : config.rpc.host
  return `http://${host}:${config.rpc.port}`
}
