import {createPublicClient, getAddress, type Address, type Chain, type Hex} from 'viem'
import {privateKeyToAccount, type PrivateKeyAccount} from 'viem/accounts'

import {
  medrecChain,
  rpcPublicClient,
  rpcTransport,
  rpcWalletClient,
  type MedrecPublicClient,
  type MedrecWalletClient,
} from '../chain/viem-clients.js'
import type {ContainerEngine} from '../docker/container-engine.js'
import {DockerodeEngine} from '../docker/dockerode-engine.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {gethIpcEval} from '../geth/geth-ipc.js'
import type {ConsortiumBundle} from './consortium-bundle.js'
import {loadMember, readStoredBundle, unlockMemberKey, type LoadedMember} from './load-member.js'
import {findMemberResources, memberContainer, memberNodeNames, type MemberRef} from './member-resources.js'
import type {CodeReader} from './verify-bundle-contracts.js'

export type MemberPublicClient = MedrecPublicClient
export type MemberWalletClient = MedrecWalletClient

/** The URL of this member's own keyless RPC node, as published on its host. */
function memberRpcUrl(member: LoadedMember): string {
  const {rpc} = member.config
  const host = rpc.host === '0.0.0.0' ? '127.0.0.1' : rpc.host
  return `http://${host.includes(':') ? `[${host}]` : host}:${rpc.port}`
}

/**
 * One member workspace opened for work on its chain: its config and keys, the bundle it
 * accepted, the Docker engine its node runs on (DOCKER_HOST or the Docker context, as
 * `member up` uses), and ways to reach its own nodes: the sealer over IPC (it serves no
 * HTTP), the keyless RPC node over JSON-RPC. Nothing here reaches another member's node.
 */
export type MemberChain = {
  member: LoadedMember
  bundle: ConsortiumBundle
  engine: ContainerEngine
  ref: MemberRef
  chain: Chain
  /** Whether this member is in the bundle's members (else it is a joiner, not yet admitted). */
  role: 'member' | 'joining'
  /** http://HOST:PORT of its keyless RPC node; throws MEMBER_NO_RPC if it runs none. */
  rpcUrl(action?: string): string
  /** A viem public client on its own RPC node; throws MEMBER_NO_RPC if it runs none. */
  publicClient(action?: string): MemberPublicClient
  /** Its own account (the signer key, decrypted from its keystore; never sent to a node). */
  account(): Promise<PrivateKeyAccount>
  /** A wallet client signing locally with its own account, sending through its own RPC node. */
  walletClient(action?: string): Promise<MemberWalletClient>
  /** The id of its running sealer container; throws MEMBER_NODE_NOT_RUNNING if none runs. */
  sealerContainer(): Promise<string>
  /** Reads deployed code from its own node: the RPC node if it runs one, else the sealer's IPC. */
  readCode: CodeReader
  /**
   * The bundle's contract addresses, by name, only once this member verified their code on its
   * own node (`consortium import`, or its own deploy); throws CONTRACTS_NOT_DEPLOYED or
   * CONTRACTS_NOT_VERIFIED otherwise.
   */
  trustedContracts(): Record<string, Address>
}

export type OpenMemberChainOptions = {
  dir: string
  /** The engine its node runs on; by default DOCKER_HOST or the current Docker context. */
  engine?: ContainerEngine
}

/**
 * Reads deployed code from this member's own node for network `networkName` (used before a bundle
 * is stored: `consortium import`): its keyless RPC node if it runs one, else its sealer's IPC.
 */
export function memberCodeReader(member: LoadedMember, networkName: string, engine: ContainerEngine): CodeReader {
  const ref: MemberRef = {network: networkName, member: member.config.name}
  const {rpc} = member.config
  const client = createPublicClient({transport: rpcTransport(memberRpcUrl(member))})
  return async (address) => {
    if (rpc.enabled) return client.getCode({address})
    const sealer = memberContainer(await findMemberResources(engine, ref), memberNodeNames.sealer)
    if (sealer?.state !== 'running') {
      throw new MedrecError(errorCodes.MEMBER_NODE_NOT_RUNNING, `Member ${ref.member}'s sealer is not running.`)
    }
    const code = await gethIpcEval<string | null>(
      engine,
      sealer.id,
      ref.member,
      `eth.getCode(${JSON.stringify(address)})`,
    )
    return code === null ? undefined : (code as Hex)
  }
}

/** Opens a member workspace that holds an accepted consortium bundle (see MemberChain). */
export async function openMemberChain(options: OpenMemberChainOptions): Promise<MemberChain> {
  const member = await loadMember(options.dir)
  const bundle = await readStoredBundle(member)
  if (!bundle) {
    throw new MedrecError(errorCodes.BUNDLE_MISSING, `${options.dir} holds no consortium bundle yet.`, {
      hint:
        'Found a consortium (`medrec consortium found`) or import the bundle a member sent you ' +
        '(`medrec consortium import FILE`) first.',
    })
  }
  const engine = options.engine ?? new DockerodeEngine()
  const ref: MemberRef = {network: bundle.network.name, member: member.config.name}
  const {rpc} = member.config
  const url = memberRpcUrl(member)
  const chain = medrecChain({chainId: bundle.network.chainId, name: bundle.network.name, rpcUrl: url})
  const role = bundle.members.some((card) => card.signer === member.signer) ? 'member' : 'joining'

  const rpcUrl = (action = 'This command') => {
    if (!rpc.enabled) {
      throw new MedrecError(
        errorCodes.MEMBER_NO_RPC,
        `${action} needs this member's own keyless RPC node, and ${member.config.name} runs none ` +
          '(rpc.enabled is false in medrec-member.yaml).',
        {
          hint:
            'Set rpc.enabled: true in medrec-member.yaml (or `medrec member init NAME --advertise … --rpc --force`), ' +
            'then `medrec member up`.',
        },
      )
    }
    return url
  }
  let client: MemberPublicClient | undefined
  const publicClient = (action?: string) => {
    client ??= rpcPublicClient(chain, rpcUrl(action))
    return client
  }
  let ownAccount: PrivateKeyAccount | undefined
  const account = async () => {
    ownAccount ??= privateKeyToAccount(await unlockMemberKey(member))
    return ownAccount
  }
  const walletClient = async (action?: string): Promise<MemberWalletClient> =>
    rpcWalletClient(chain, rpcUrl(action), await account())
  const sealerContainer = async () => {
    const sealer = memberContainer(await findMemberResources(engine, ref), memberNodeNames.sealer)
    if (sealer?.state !== 'running') {
      throw new MedrecError(
        errorCodes.MEMBER_NODE_NOT_RUNNING,
        `Member ${ref.member}'s sealer is not running on ${engine.describeEndpoint()}.`,
        {
          hint:
            'Start it with `medrec member up` (with DOCKER_HOST or the Docker context that runs this member, if it ' +
            'is not the default one).',
        },
      )
    }
    return sealer.id
  }
  const readCode: CodeReader = async (address) => {
    if (rpc.enabled) return publicClient().getCode({address})
    const code = await gethIpcEval<string | null>(
      engine,
      await sealerContainer(),
      ref.member,
      `eth.getCode(${JSON.stringify(address)})`,
    )
    return code === null ? undefined : (code as Hex)
  }
  const trustedContracts = () => {
    const listed = bundle.contracts ?? {}
    if (Object.keys(listed).length === 0) {
      throw new MedrecError(
        errorCodes.CONTRACTS_NOT_DEPLOYED,
        `The consortium bundle of ${ref.network} lists no contracts.`,
        {hint: 'One member deploys them (`medrec contracts deploy`); import the bundle it exports after that.'},
      )
    }
    const unverified = Object.entries(listed).filter(([name, entry]) => {
      const trusted = member.state.trustedContracts[name]
      return trusted?.address !== entry.address || trusted.codeHash !== entry.codeHash
    })
    if (unverified.length > 0) {
      throw new MedrecError(
        errorCodes.CONTRACTS_NOT_VERIFIED,
        `This member has not verified the code of ${unverified.map(([name]) => name).join(', ')} on its own node.`,
        {
          hint:
            'Start your node (`medrec member up`), let it sync, and import the bundle again ' +
            '(`medrec consortium import FILE`): its contracts are checked against your own compiled artifacts.',
        },
      )
    }
    return Object.fromEntries(Object.entries(listed).map(([name, entry]) => [name, getAddress(entry.address)]))
  }
  return {
    member,
    bundle,
    engine,
    ref,
    chain,
    role,
    rpcUrl,
    publicClient,
    account,
    walletClient,
    sealerContainer,
    readCode,
    trustedContracts,
  }
}
