import {randomUUID} from 'node:crypto'
import {access, mkdir, readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Address} from 'viem'

import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {decryptKeystoreV3} from '../keys/keystore-v3.js'
import {parseJson} from '../errors/parse-json.js'

/** Everything secret or machine-written lives under `.medrec/` in the network directory. */
export const stateDirName = '.medrec'

export type NodeKeyFiles = {dir: string; keystore: string; password: string; nodeKey: string}

/** Where the files of one network directory live. */
export function networkPaths(dir: string) {
  const stateDir = join(dir, stateDirName)
  const keysDir = join(stateDir, 'keys')
  return {
    dir,
    stateDir,
    keysDir,
    stateFile: join(stateDir, 'state.json'),
    node(name: string): NodeKeyFiles {
      const nodeDir = join(keysDir, name)
      return {
        dir: nodeDir,
        keystore: join(nodeDir, 'keystore.json'),
        password: join(nodeDir, 'password'),
        nodeKey: join(nodeDir, 'nodekey'),
      }
    },
  }
}

export type NetworkPaths = ReturnType<typeof networkPaths>

/** Creates `.medrec/` private to the user, with a .gitignore so its keys never reach a repository. */
export async function ensureStateDir(paths: NetworkPaths): Promise<void> {
  await mkdir(paths.keysDir, {recursive: true, mode: 0o700})
  await writeFile(join(paths.stateDir, '.gitignore'), '# Keys, passwords and chain state: never commit.\n*\n', {
    mode: 0o600,
  })
}

/** True if something exists at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** Writes a file only if it does not exist yet, private to the user. Returns false if it existed. */
export async function writeNewPrivateFile(path: string, content: string): Promise<boolean> {
  try {
    await writeFile(path, content, {flag: 'wx', mode: 0o600})
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/** Writes a file whole or not at all (write beside it, then rename), so a crash never leaves half a file. */
export async function writeFileAtomically(path: string, text: string, mode = 0o644): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`
  await writeFile(temporary, text, {mode})
  await rename(temporary, path)
}

/** Reads one of a node's key files, naming the node when it is missing. */
export async function readKeyFile(path: string, nodeName: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MedrecError(errorCodes.KEY_FILE_MISSING, `${nodeName}: ${path} is missing.`, {
        hint:
          'Restore it from your backup. If this network was never started, `medrec network init --force` ' +
          'creates keys for nodes that have none.',
        cause: error,
      })
    }
    throw error
  }
}

/** Opens a node's keystore with its password file (both under .medrec/keys/NAME). */
export async function unlockNodeKey(
  paths: NetworkPaths,
  nodeName: string,
): Promise<{privateKey: `0x${string}`; address: Address}> {
  const files = paths.node(nodeName)
  const keystoreText = await readKeyFile(files.keystore, nodeName)
  const password = (await readKeyFile(files.password, nodeName)).trimEnd()
  const keystore = parseJson(
    keystoreText,
    (cause) =>
      new MedrecError(errorCodes.KEYSTORE_INVALID, `${nodeName}: ${files.keystore} is not JSON.`, {
        hint: 'Restore it from your backup.',
        cause,
      }),
  )
  return decryptKeystoreV3(keystore, password, `${nodeName}'s keystore (${files.keystore})`)
}
