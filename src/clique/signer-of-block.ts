import {getAddress, type Address} from 'viem'

import {callJsonRpc} from '../chain/json-rpc.js'

/** Who sealed a block (clique_getSigner), checksummed. */
export async function signerOfBlock(rpcUrl: string, block: number, timeoutMs?: number): Promise<Address> {
  return getAddress(await callJsonRpc<string>(rpcUrl, 'clique_getSigner', [`0x${block.toString(16)}`], timeoutMs))
}

/**
 * Walks the chain's blocks after `after` in order, asking each block's signer once, across
 * calls: a poll resumes where the last one stopped (also after an RPC error mid-way).
 */
export class BlockSignerScan {
  /** The next block to ask about. */
  next: number
  private readonly rpcUrl: string
  private readonly timeoutMs: number | undefined

  constructor(rpcUrl: string, after: number, timeoutMs?: number) {
    this.rpcUrl = rpcUrl
    this.next = after + 1
    this.timeoutMs = timeoutMs
  }

  /**
   * Visits blocks up to `head`; stops at, and returns, the first block for which `visit`
   * returns true (that block is visited again by the next call). Undefined when none did.
   */
  async scanTo(
    head: number,
    visit: (block: number, signer: Address) => boolean | undefined,
  ): Promise<number | undefined> {
    for (; this.next <= head; this.next++) {
      if (visit(this.next, await signerOfBlock(this.rpcUrl, this.next, this.timeoutMs)) === true) return this.next
    }
    return undefined
  }
}
