import {Args, Flags} from '@oclif/core'

/** --id / --local-id: a participant's identity, or the local identifier it is derived from. */
export const identityFlags = {
  id: Flags.string({summary: 'The participant\'s 32-byte identity (0x…).', exclusive: ['local-id']}),
  'local-id': Flags.string({summary: 'A local identifier (e.g. a record number), turned into the identity with the consortium\'s HMAC key.'}),
}

/** --as: which key of this directory signs. */
export const asFlag = Flags.string({summary: 'Name of the key that signs (see `medrec account list`).', required: true})

/** The relationship argument of every relationship command. */
export const relationshipArg = Args.string({description: 'Address of the relationship.', required: true})
