import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {memberConfigFileName, memberConfigSchemaFileName} from '../config/member-config.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {networkPaths} from '../workspace/network-files.js'
import {bundleFileName} from './consortium-bundle.js'
import {nodeCardFileName} from './node-card.js'

/**
 * Where the files of one member workspace live. Keys use the network workspace's layout
 * (`.medrec/keys/NAME/{keystore.json,password,nodekey}`, `.medrec/keys/identity/hmac.key`),
 * so the same helpers create and open them; a member workspace holds only its own.
 */
export function memberPaths(dir: string) {
  const paths = networkPaths(dir)
  return {
    ...paths,
    configFile: join(dir, memberConfigFileName),
    configSchemaFile: join(dir, memberConfigSchemaFileName),
    memberStateFile: join(paths.stateDir, 'member-state.json'),
    bundleFile: join(dir, bundleFileName),
    cardFile: (name: string) => join(dir, nodeCardFileName(name)),
  }
}

export type MemberPaths = ReturnType<typeof memberPaths>

/** Refuses an output path that cannot be written (no such folder, a directory in the way), before any work. */
export async function assertWritableFile(path: string): Promise<void> {
  const isDirectory = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  )
  const folderWritable = await access(dirname(path), constants.W_OK).then(
    () => true,
    () => false,
  )
  if (isDirectory || !folderWritable) {
    throw new MedrecError(
      errorCodes.INVALID_ARGUMENT,
      isDirectory ? `--out ${path} is a directory.` : `--out ${path}: its folder does not exist or is not writable.`,
      {hint: 'Name a file in an existing folder you can write to.'},
    )
  }
}
