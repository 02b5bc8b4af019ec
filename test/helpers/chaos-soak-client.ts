// The chaos soak's client: one relationship per patient with a single steward, driven round
// after round (propose, accept, grant a viewer, revoke it, end) through the network's keyless
// RPC node, as a user's client would. Every transaction is signed here, so its hash is known
// before it is sent, and recorded with the receipt the node gave, if any.
import {setTimeout as delay} from 'node:timers/promises'

import {
  encodeFunctionData,
  getAddress,
  keccak256,
  zeroAddress,
  zeroHash,
  type Address,
  type Hex,
  type TransactionReceipt,
} from 'viem'

import {registrarAbi} from '../../src/contracts/abi/registrar.js'
import {relationshipAbi} from '../../src/contracts/abi/relationship.js'
import {relationshipStatuses} from '../../src/registrar/participant-kinds.js'
import {
  networkClients,
  networkWalletClient,
  type NetworkPublicClient,
  type NetworkWalletClient,
} from '../../src/workspace/network-clients.js'
import type {SoakTransaction} from './chaos-soak-ledger.js'

export type RelationshipLoadOptions = {
  dir: string
  /** The steward's key name (a certified provider): it proposes every relationship. */
  steward: string
  /** Key names of registered patients: one flow each, all at once. */
  patients: readonly string[]
  /** Who the patients grant, then revoke, a view. */
  viewer: Address
  log: (line: string) => void
}

export type Refusal = {flow: string; action: string; at: number; error: string}

export type RelationshipLoad = {
  readonly transactions: SoakTransaction[]
  /** Actions that failed before a transaction was signed (a node that did not answer, a refusal). */
  readonly refusals: Refusal[]
  /** Transactions with a receipt so far. */
  receipts(): number
  /**
   * Lets each flow finish the transaction it is on (its receipt awaited until `deadline`,
   * epoch ms) and stop.
   */
  stop(deadline: number): Promise<void>
}

type Action = 'propose' | 'accept' | 'grant' | 'revoke' | 'end'

const receiptPollMs = 500
/** After this long without a receipt, a transaction the node no longer knows is given up. */
const receiptPatienceMs = 60_000

/** Starts one flow per patient; they run until `stop`. */
export async function startRelationshipLoad(options: RelationshipLoadOptions): Promise<RelationshipLoad> {
  const {network, chain, publicClient} = await networkClients(options.dir)
  const registrar = getAddress(network.state.contracts.Registrar!)
  const steward = await networkWalletClient(network, chain, options.steward)
  const identityOf = (account: Address) =>
    publicClient.readContract({address: registrar, abi: registrarAbi, functionName: 'identityOf', args: [account]})
  const stewardId = await identityOf(steward.account.address)
  const transactions: SoakTransaction[] = []
  const refusals: Refusal[] = []
  let stopping = false
  let receiptDeadline = Number.POSITIVE_INFINITY
  // The steward signs for every flow: one of its transactions at a time keeps its nonces in order.
  let stewardTurn: Promise<unknown> = Promise.resolve()

  async function awaitReceipt(tx: SoakTransaction): Promise<TransactionReceipt | undefined> {
    let askedNodeAt = Date.now()
    for (;;) {
      const receipt = await publicClient.getTransactionReceipt({hash: tx.hash}).catch(() => undefined)
      if (receipt) return receipt
      if (Date.now() > receiptDeadline) return undefined
      if (Date.now() - askedNodeAt > receiptPatienceMs) {
        askedNodeAt = Date.now()
        const known = await publicClient.getTransaction({hash: tx.hash}).catch(() => undefined)
        const waited = Math.round((Date.now() - tx.sentAt) / 1000)
        if (!known) {
          options.log(`${tx.flow}: ${tx.action} ${tx.hash} unknown to the RPC node after ${waited} s; given up`)
          return undefined
        }
        options.log(`${tx.flow}: ${tx.action} ${tx.hash} still pending after ${waited} s`)
      }
      await delay(receiptPollMs)
    }
  }

  /** Signs `data` for the Registrar, records the transaction, sends it and waits for its receipt. */
  async function send(flow: string, action: Action, wallet: NetworkWalletClient, data: Hex): Promise<SoakTransaction> {
    const address = wallet.account.address
    const nonce = await publicClient.getTransactionCount({address, blockTag: 'pending'})
    // Gas is estimated here: a call the contract would refuse fails now, before anything is sent.
    const request = await wallet.prepareTransactionRequest({to: registrar, data, nonce, chain, account: wallet.account})
    const serialized = await wallet.signTransaction(request)
    const tx: SoakTransaction = {flow, action, from: address, nonce, hash: keccak256(serialized), sentAt: Date.now()}
    transactions.push(tx)
    try {
      await publicClient.sendRawTransaction({serializedTransaction: serialized})
    } catch (error) {
      tx.sendError = (error as Error).message.split('\n')[0]!
      options.log(`${flow}: sending ${action} ${tx.hash} failed: ${tx.sendError}`)
    }
    const receipt = await awaitReceipt(tx)
    if (receipt) {
      tx.receipt = {
        blockNumber: Number(receipt.blockNumber),
        blockHash: receipt.blockHash,
        status: receipt.status,
        at: Date.now(),
      }
    }
    return tx
  }

  function asSteward<T>(work: () => Promise<T>): Promise<T> {
    const turn = stewardTurn.then(work, work)
    stewardTurn = turn.catch(() => undefined)
    return turn
  }

  async function runFlow(patientKey: string): Promise<void> {
    const flow = patientKey
    const patient = await networkWalletClient(network, chain, patientKey)
    const patientId = await identityOf(patient.account.address)
    let relationship: Address | undefined
    let grantedThisRound = false
    let lastReceiptBlock = 0n
    let last: SoakTransaction | undefined
    let lastBlockHash: Hex | undefined
    while (!stopping) {
      let action: Action = 'propose'
      try {
        // A receipt is not final on Clique: when the block holding the flow's last transaction
        // was reorganised away, wait until it is mined again rather than decide from a state
        // without it (and send a duplicate that would revert).
        if (last && lastBlockHash) {
          const now = await publicClient.getTransactionReceipt({hash: last.hash}).catch(() => undefined)
          if (now?.blockHash !== lastBlockHash) {
            last.receiptMoves = (last.receiptMoves ?? 0) + 1
            const again = now ?? (await awaitReceipt(last))
            const where = again ? `now in ${again.blockNumber}` : 'not mined again'
            options.log(`${flow}: ${last.action} ${last.hash} left its block; ${where}`)
            lastBlockHash = again?.blockHash
            if (again) lastReceiptBlock = again.blockNumber
          }
        }
        if (!relationship) {
          const found = await publicClient.readContract({
            address: registrar,
            abi: registrarAbi,
            functionName: 'relationshipOf',
            args: [patientId, stewardId],
          })
          if (found !== zeroAddress) relationship = getAddress(found)
        }
        const state = relationship ? await relationshipState(publicClient, relationship, lastReceiptBlock) : undefined
        if (relationship && !state) {
          // The RPC node's head is below the flow's last receipt (it is reorganising): ask again.
          await delay(receiptPollMs)
          continue
        }
        const status = state?.status ?? 'none'
        if (status === 'proposed') action = 'accept'
        else if (status === 'accepted') {
          if (state!.viewers > 0n) action = 'revoke'
          else action = grantedThisRound ? 'end' : 'grant'
        }
        const rel = relationship ?? zeroAddress
        let tx: SoakTransaction
        if (action === 'propose') {
          const queryRef = keccak256(`0x${Date.now().toString(16).padStart(16, '0')}` as Hex)
          const args = [patientId, 'https://gk.soak.example', queryRef, zeroHash] as const
          const data = encodeFunctionData({abi: registrarAbi, functionName: 'propose', args})
          tx = await asSteward(() => send(flow, action, steward, data))
          grantedThisRound = false
        } else if (action === 'grant') {
          const block = await publicClient.getBlock()
          const args = [rel, options.viewer, 6n, block.timestamp + 86_400n] as const
          tx = await send(
            flow,
            action,
            patient,
            encodeFunctionData({abi: registrarAbi, functionName: 'grantViewer', args}),
          )
          grantedThisRound = true
        } else if (action === 'revoke') {
          const args = [rel, options.viewer] as const
          tx = await send(
            flow,
            action,
            patient,
            encodeFunctionData({abi: registrarAbi, functionName: 'revokeViewer', args}),
          )
        } else {
          const data = encodeFunctionData({abi: registrarAbi, functionName: action, args: [rel]})
          tx = await send(flow, action, patient, data)
        }
        if (tx.receipt) lastReceiptBlock = BigInt(tx.receipt.blockNumber)
        last = tx
        lastBlockHash = tx.receipt?.blockHash
        if (tx.receipt?.status === 'reverted') options.log(`${flow}: ${action} ${tx.hash} reverted`)
      } catch (error) {
        refusals.push({flow, action, at: Date.now(), error: (error as Error).message.split('\n')[0]!})
        await delay(1000)
      }
    }
  }

  // A flow that fails outside a transaction (its key, its identity) is reported by stop().
  const failures: unknown[] = []
  const flows = options.patients.map((key) => runFlow(key).catch((error: unknown) => void failures.push(error)))
  return {
    transactions,
    refusals,
    receipts: () => transactions.filter((tx) => tx.receipt).length,
    async stop(deadline) {
      stopping = true
      receiptDeadline = deadline
      await Promise.all(flows)
      if (failures.length > 0) throw failures[0]
    },
  }
}

async function relationshipState(
  publicClient: NetworkPublicClient,
  address: Address,
  atLeast: bigint,
): Promise<{status: (typeof relationshipStatuses)[number]; viewers: bigint} | undefined> {
  // The head now, not viem's cached number (up to a polling interval old): a number from before
  // the flow's last receipt would show the state before it, and the flow would repeat itself.
  const blockNumber = await publicClient.getBlockNumber({cacheTime: 0})
  if (blockNumber < atLeast) return undefined
  // Both reads at one block, so a transaction mined in between cannot split the answer.
  const rel = {address, abi: relationshipAbi, blockNumber} as const
  const [status, viewers] = await Promise.all([
    publicClient.readContract({...rel, functionName: 'status'}),
    publicClient.readContract({...rel, functionName: 'viewerCount'}),
  ])
  return {status: relationshipStatuses[status] ?? 'none', viewers}
}
