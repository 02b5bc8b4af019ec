import {MedrecError} from '../errors/medrec-error.js'
import {errorCodes} from '../errors/error-codes.js'

const PUSH0 = 0x5f
const PUSH1 = 0x60
const PUSH32 = 0x7f

/**
 * The byte offset of the first PUSH0 instruction in EVM bytecode, or undefined.
 * Walks instructions, skipping PUSH1..PUSH32 immediates (a 0x5f inside push data is not
 * an opcode), and stops at solc's trailing CBOR metadata, which is data, not code.
 */
export function findPush0(bytecodeHex: string): number | undefined {
  const code = bytesFromHex(bytecodeHex)
  const end = metadataStart(code)
  for (let pc = 0; pc < end; pc++) {
    const opcode = code[pc] ?? 0
    if (opcode === PUSH0) return pc
    if (opcode >= PUSH1 && opcode <= PUSH32) pc += opcode - PUSH1 + 1
  }
  return undefined
}

/** Refuses bytecode that a London chain (geth 1.13 Clique) would reject for PUSH0. */
export function assertNoPush0(name: string, bytecode: string): void {
  const offset = findPush0(bytecode)
  if (offset === undefined) return
  throw new MedrecError(errorCodes.BYTECODE_PUSH0, `${name} contains the PUSH0 opcode, which a London chain rejects.`, {
    details: [`${name}: PUSH0 (0x5f) at byte offset ${offset}`],
    hint:
      'Compile with evmVersion "london" (or "paris"): solc 0.8.20 and later target ' +
      'Shanghai by default and emit PUSH0, which geth 1.13 Clique does not support.',
  })
}

/**
 * Where solc's CBOR metadata begins, or the code length when there is none. solc appends
 * the CBOR map followed by its length as two big-endian bytes; the map's first byte is
 * 0xa1..0xa5 (a map of one to five entries).
 */
export function metadataStart(code: Uint8Array): number {
  if (code.length < 2) return code.length
  const length = ((code[code.length - 2] ?? 0) << 8) | (code[code.length - 1] ?? 0)
  const start = code.length - 2 - length
  const first = code[start]
  if (length === 0 || start < 0 || first === undefined || first < 0xa1 || first > 0xa5) return code.length
  return start
}

function bytesFromHex(hex: string): Uint8Array {
  const body = hex.startsWith('0x') ? hex.slice(2) : hex
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new MedrecError(errorCodes.INVALID_ARGUMENT, 'Bytecode is not an even-length hex string.', {
      hint: 'Pass the compiled bytecode object; unlinked library placeholders (__$…$__) must be linked first.',
    })
  }
  return Uint8Array.from(Buffer.from(body, 'hex'))
}
