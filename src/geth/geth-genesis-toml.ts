import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/**
 * genesis.json as the `[Eth.Genesis]` section of geth's config.toml. geth 1.13 writes the
 * genesis of its config file into an empty database at start (eth/ethconfig `Genesis`,
 * committed by core.SetupGenesisBlockWithOverride), so a node whose chain data starts empty
 * each time (tmpfs) needs no `geth init`; on a database that has a genesis geth checks that
 * both hash the same and refuses to start otherwise, so a wrong translation can never pass
 * silently. geth reads its TOML with Go's field names, hence the renaming. The mapping is
 * closed: a field it does not know is refused, never dropped, because a dropped field would
 * change the chain.
 */
export function gethGenesisToml(genesis: unknown): string {
  const {config, alloc, ...fields} = asObject(genesis, 'genesis')
  const tables: string[][] = [['[Eth.Genesis]', ...encodeFields(fields, genesisFields, '')]]
  if (config !== undefined) tables.push(chainConfigTables(asObject(config, 'config')))
  if (alloc !== undefined) tables.push(...allocTables(asObject(alloc, 'alloc')))
  return tables
    .map((t) => t.join('\n'))
    .join('\n\n')
    .concat('\n')
}

type Encoder = (value: unknown, path: string) => string
type Field = {name: string; encode: Encoder}

const uint64Max = 2n ** 63n - 1n // TOML integers are signed 64-bit

/** A JSON quantity (hex string, decimal string or safe number) as a bigint. */
function quantity(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|\d+)$/.test(value)) return BigInt(value)
  throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} is not a non-negative whole number.`, {
    hint: 'Write it as a 0x-prefixed hex string, as `medrec network init` does.',
  })
}

/** uint64 fields: a TOML integer. */
const uint64: Encoder = (value, path) => {
  const n = quantity(value, path)
  if (n > uint64Max)
    throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} is too large for this profile.`)
  return n.toString()
}
/** *big.Int fields: a decimal string (math/big reads it as text). */
const bigInt: Encoder = (value, path) => `"${quantity(value, path).toString()}"`
const bool: Encoder = (value, path) => {
  if (typeof value !== 'boolean')
    throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} must be true or false.`)
  return String(value)
}
/** Fixed-size hex (common.Hash, common.Address): a 0x string, read as text. */
function fixedHex(bytes: number): Encoder {
  return (value, path) => {
    const text = typeof value === 'string' && !value.startsWith('0x') ? `0x${value}` : value
    if (typeof text !== 'string' || !new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(text))
      throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} must be ${bytes} bytes of hex.`)
    return `"${text.toLowerCase()}"`
  }
}
/** []byte fields: an array of byte values (geth's TOML reader has no hex form for them). */
const bytes: Encoder = (value, path) => {
  if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value))
    throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} must be 0x-prefixed hex bytes.`)
  const values = value.slice(2).match(/../g) ?? []
  return `[${values.map((pair) => Number.parseInt(pair, 16)).join(', ')}]`
}

const genesisFields: Record<string, Field> = {
  nonce: {name: 'Nonce', encode: uint64},
  timestamp: {name: 'Timestamp', encode: uint64},
  extraData: {name: 'ExtraData', encode: bytes},
  extradata: {name: 'ExtraData', encode: bytes},
  gasLimit: {name: 'GasLimit', encode: uint64},
  difficulty: {name: 'Difficulty', encode: bigInt},
  mixHash: {name: 'Mixhash', encode: fixedHex(32)},
  coinbase: {name: 'Coinbase', encode: fixedHex(20)},
  number: {name: 'Number', encode: uint64},
  gasUsed: {name: 'GasUsed', encode: uint64},
  parentHash: {name: 'ParentHash', encode: fixedHex(32)},
  baseFeePerGas: {name: 'BaseFee', encode: bigInt},
}

/** params.ChainConfig's fork blocks up to London (later forks are refused by the genesis checks): all *big.Int. */
const forkBlockGoNames = {
  homesteadBlock: 'HomesteadBlock',
  daoForkBlock: 'DAOForkBlock',
  eip150Block: 'EIP150Block',
  eip155Block: 'EIP155Block',
  eip158Block: 'EIP158Block',
  byzantiumBlock: 'ByzantiumBlock',
  constantinopleBlock: 'ConstantinopleBlock',
  petersburgBlock: 'PetersburgBlock',
  istanbulBlock: 'IstanbulBlock',
  muirGlacierBlock: 'MuirGlacierBlock',
  berlinBlock: 'BerlinBlock',
  londonBlock: 'LondonBlock',
  arrowGlacierBlock: 'ArrowGlacierBlock',
  grayGlacierBlock: 'GrayGlacierBlock',
  mergeNetsplitBlock: 'MergeNetsplitBlock',
}

/** params.ChainConfig's JSON names: the chain id, the fork blocks and the two flags. */
const chainConfigFields: Record<string, Field> = {
  chainId: {name: 'ChainID', encode: bigInt},
  ...Object.fromEntries(Object.entries(forkBlockGoNames).map(([key, name]) => [key, {name, encode: bigInt}])),
  daoForkSupport: {name: 'DAOForkSupport', encode: bool},
  // Only false gets this far: the genesis checks refuse true (it silently stops Clique sealing).
  terminalTotalDifficultyPassed: {name: 'TerminalTotalDifficultyPassed', encode: bool},
}

const cliqueFields: Record<string, Field> = {
  period: {name: 'Period', encode: uint64},
  epoch: {name: 'Epoch', encode: uint64},
}

const accountFields: Record<string, Field> = {
  balance: {name: 'Balance', encode: bigInt},
  nonce: {name: 'Nonce', encode: uint64},
  code: {name: 'Code', encode: bytes},
}

function chainConfigTables(config: Record<string, unknown>): string[] {
  const {clique, ...fields} = config
  const lines = ['[Eth.Genesis.Config]', ...encodeFields(fields, chainConfigFields, 'config')]
  if (clique === undefined) return lines
  const cliqueLines = encodeFields(asObject(clique, 'config.clique'), cliqueFields, 'config.clique')
  return [...lines, '', '[Eth.Genesis.Config.Clique]', ...cliqueLines]
}

function allocTables(alloc: Record<string, unknown>): string[][] {
  return Object.entries(alloc).map(([address, account]) => {
    const path = `alloc.${address}`
    const key = fixedHex(20)(address, path)
    const fields = asObject(account, path)
    const {storage, ...rest} = fields
    const table = [`[Eth.Genesis.Alloc.${key}]`, ...encodeFields(rest, accountFields, path)]
    if (storage === undefined) return table
    const slots = Object.entries(asObject(storage, `${path}.storage`)).map(
      ([slot, value]) => `${fixedHex(32)(slot, `${path}.storage`)} = ${fixedHex(32)(value, `${path}.storage.${slot}`)}`,
    )
    return [...table, '', `[Eth.Genesis.Alloc.${key}.Storage]`, ...slots]
  })
}

/** One TOML line per field, under its Go name; `path` ('' at the top level) names a field in messages. */
function encodeFields(object: Record<string, unknown>, fields: Record<string, Field>, path: string): string[] {
  return Object.entries(object).map(([key, value]) => {
    const at = path === '' ? key : `${path}.${key}`
    const field = fields[key]
    if (!field) throw untranslatable(at)
    return `${field.name} = ${field.encode(value, at)}`
  })
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MedrecError(errorCodes.GENESIS_INVALID, `genesis.json: ${path} must be an object.`)
  return value as Record<string, unknown>
}

function untranslatable(path: string): MedrecError {
  return new MedrecError(
    errorCodes.GENESIS_INVALID,
    `genesis.json: ${path} cannot be passed to geth in its config file, which a network whose chain data is in \
memory (profile throwaway) needs.`,
    {hint: `Remove ${path} from genesis.json, or use the standard profile (which runs \`geth init\` on a volume).`},
  )
}
