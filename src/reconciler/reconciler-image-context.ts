import {createHash} from 'node:crypto'
import {readdir, readFile, realpath, stat} from 'node:fs/promises'
import {builtinModules} from 'node:module'
import {dirname, join, relative, sep} from 'node:path'

import {execa} from 'execa'

import type {ArchiveEntry, ArchiveFileEntry} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'

/** The reconciler's entry points in dist/: the loop, and the HEALTHCHECK. */
export const reconcilerEntryModules = ['dist/reconciler/reconciler-main.js', 'dist/reconciler/reconciler-health.js']

/** Where things go in the image (the Dockerfile's ENTRYPOINT and HEALTHCHECK name them). */
const imageNode = 'usr/local/bin/node'
const imageApp = 'app'

const builtins = new Set(builtinModules)

/** Specifiers a compiled ES module imports: static, re-exported, side-effect and dynamic (string literals). */
export function moduleSpecifiers(source: string): string[] {
  const found: string[] = []
  // Anchored at a line start, so `import … from` quoted in a doc comment is not counted.
  const statement = /^(?:(?:import|export)\b[^'";]*?\bfrom|import)\s*['"]([^'"]+)['"]/gm
  for (const match of source.matchAll(statement)) found.push(match[1]!)
  const code = source
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join('\n')
  for (const match of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!)
  return found
}

/** The package a bare specifier names (`viem/accounts` → `viem`, `@noble/hashes/sha3` → `@noble/hashes`). */
export function packageNameOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
  return builtins.has(name) ? undefined : name
}

/**
 * The compiled modules the entry points import, transitively (relative imports), and the
 * packages they name. Only these go into the image: the rest of the tool (solc, viem,
 * fastify…) is never loaded by the reconciler.
 */
export async function moduleImportClosure(
  root: string,
  entries: readonly string[],
): Promise<{modules: string[]; packages: Map<string, string>}> {
  const modules = new Set<string>()
  /** Package name → the module that first imports it (resolution starts from there). */
  const packages = new Map<string, string>()
  const pending = [...entries]
  while (pending.length > 0) {
    const module = pending.pop()!
    if (modules.has(module)) continue
    let source: string
    try {
      source = await readFile(join(root, module), 'utf8')
    } catch (error) {
      throw new MedrecError(errorCodes.RECONCILER_IMAGE_FAILED, `${module} is missing: the tool is not built.`, {
        hint: 'Run `npm run build` in the tool’s directory, then try again.',
        cause: error,
      })
    }
    modules.add(module)
    for (const specifier of moduleSpecifiers(source)) {
      if (specifier.startsWith('.')) {
        pending.push(
          relative(root, join(root, dirname(module), specifier))
            .split(sep)
            .join('/'),
        )
        continue
      }
      const name = packageNameOf(specifier)
      if (name && !packages.has(name)) packages.set(name, module)
    }
  }
  return {modules: [...modules].sort(), packages}
}

/** Node's resolution of a package from a directory: the nearest node_modules/NAME upwards, within `root`. */
async function resolvePackageDir(root: string, fromDir: string, name: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    const found = await stat(join(candidate, 'package.json')).catch(() => undefined)
    if (found) return candidate
    if (dir === root || !dir.startsWith(root) || dirname(dir) === dir) return undefined
  }
}

/**
 * The directories (relative to `root`) of the packages named and of everything they depend
 * on (dependencies, and optional ones that are installed), each resolved as Node would from
 * the package that needs it.
 */
export async function packageDependencyClosure(root: string, packages: Map<string, string>): Promise<string[]> {
  const dirs = new Set<string>()
  const pending: {name: string; fromDir: string; optional: boolean}[] = [...packages].map(([name, module]) => ({
    name,
    fromDir: dirname(join(root, module)),
    optional: false,
  }))
  while (pending.length > 0) {
    const {name, fromDir, optional} = pending.pop()!
    const dir = await resolvePackageDir(root, fromDir, name)
    if (!dir) {
      if (optional) continue
      throw new MedrecError(errorCodes.RECONCILER_IMAGE_FAILED, `Package ${name} is not installed.`, {
        hint: 'Run `npm install` in the tool’s directory, then try again.',
      })
    }
    const rel = relative(root, dir).split(sep).join('/')
    if (dirs.has(rel)) continue
    dirs.add(rel)
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>
      optionalDependencies?: Record<string, string>
    }
    for (const dep of Object.keys(manifest.dependencies ?? {})) pending.push({name: dep, fromDir: dir, optional: false})
    for (const dep of Object.keys(manifest.optionalDependencies ?? {}))
      pending.push({name: dep, fromDir: dir, optional: true})
  }
  return [...dirs].sort()
}

/** Files never loaded at run time: type declarations, TypeScript sources, source maps, docs. */
const unneeded = /(\.d\.[cm]?ts|\.[cm]?tsx?|\.map|\.md|\.markdown)$/i

/** A package's files (relative to `root`), without its nested node_modules (those are packages of their own). */
async function packageFiles(root: string, packageDir: string): Promise<string[]> {
  const files: string[] = []
  const walk = async (dir: string) => {
    for (const entry of await readdir(join(root, dir), {withFileTypes: true})) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') await walk(path)
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !unneeded.test(entry.name)) {
        files.push(path)
      }
    }
  }
  await walk(packageDir)
  return files
}

/** The shared libraries a dynamic executable loads, from `ldd` output (the loader included); [] if static. */
export function parseLddOutput(output: string): string[] {
  const libraries: string[] = []
  const missing: string[] = []
  for (const line of output.split('\n').map((l) => l.trim())) {
    if (line === '' || /statically linked|not a dynamic executable/.test(line)) continue
    const arrow = /^(\S+)\s+=>\s+(\S+)/.exec(line)
    if (arrow) {
      if (arrow[2] === 'not') missing.push(arrow[1]!)
      else if (arrow[2]!.startsWith('/')) libraries.push(arrow[2]!)
      continue
    }
    const loader = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line)
    if (loader) libraries.push(loader[1]!)
    // Else the kernel's vDSO ("linux-vdso.so.1 (0x…)"): no file.
  }
  if (missing.length > 0) {
    throw new MedrecError(errorCodes.RECONCILER_IMAGE_FAILED, `Node needs libraries this machine lacks.`, {
      details: missing,
      hint: 'Use a Node build whose libraries are installed, or set reconciler.enabled: false in medrec.yaml.',
    })
  }
  return libraries
}

async function sharedLibrariesOf(binary: string): Promise<string[]> {
  const result = await execa('ldd', [binary], {reject: false})
  if (result.exitCode !== 0 && !/not a dynamic executable/.test(`${result.stdout}${result.stderr}`)) {
    throw new MedrecError(errorCodes.RECONCILER_IMAGE_FAILED, `Cannot list the libraries of ${binary} (ldd failed).`, {
      details: [String(result.stderr || result.stdout).split('\n')[0] ?? ''].filter(Boolean),
      hint: 'Install ldd (Debian: libc-bin), or set reconciler.enabled: false in medrec.yaml.',
    })
  }
  return parseLddOutput(String(result.stdout))
}

export type ReconcilerImageContext = {
  /** The build context's runtime/… (Node and its libraries) and app/… entries, in a stable order. */
  entries: (ArchiveEntry | ArchiveFileEntry)[]
  /** Identifies what the image would hold: an image labelled with it needs no rebuild. */
  hash: string
  /** Sum of the entries' sizes. */
  bytes: number
  version: string
}

/**
 * Everything the reconciler's image holds, read from this machine: the Node binary that runs
 * this tool and its shared libraries, the compiled modules the loop imports, and the packages
 * those need (found by following imports, not `npm ls`: ~30 packages instead of ~250).
 */
export async function reconcilerImageContext(options: {
  /** The tool's package directory (holds package.json, dist/ and node_modules/). */
  root: string
  nodeBinary?: string
}): Promise<ReconcilerImageContext> {
  if (process.platform !== 'linux') {
    throw new MedrecError(
      errorCodes.RECONCILER_IMAGE_FAILED,
      `The reconciler's image is built from this machine's own Node, which is not a Linux binary here \
(${process.platform}).`,
      {hint: 'Run the tool on the Linux host of the Docker engine, or set reconciler.enabled: false in medrec.yaml.'},
    )
  }
  const root = await realpath(options.root)
  const nodeBinary = await realpath(options.nodeBinary ?? process.execPath)
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {version: string}
  const {modules, packages} = await moduleImportClosure(root, reconcilerEntryModules)
  const packageDirs = await packageDependencyClosure(root, packages)
  const libraries = await sharedLibrariesOf(nodeBinary)

  const hash = createHash('sha256')
  hash.update(`medrec-reconciler-context 1\n${manifest.version}\n${process.version} ${process.arch}\n`)
  const entries: (ArchiveEntry | ArchiveFileEntry)[] = []
  let bytes = 0
  // Large or installed files are identified cheaply (this runs at every `network up`): the
  // binary and libraries by path, size and time, each package by its version; only the
  // tool's own compiled modules, which change with every edit, by their content.
  for (const [path, file] of [[imageNode, nodeBinary], ...libraries.map((l) => [l.slice(1), l] as const)] as const) {
    const info = await stat(file)
    hash.update(`${path} ${info.size} ${info.mtimeMs}\n`)
    entries.push({path: `runtime/${path}`, file, mode: 0o755})
    bytes += info.size
  }
  const appPackage = {name: 'medrec-reconciler', version: manifest.version, type: 'module', private: true}
  const appManifest = `${JSON.stringify(appPackage)}\n`
  entries.push({path: `app/${imageApp}/package.json`, content: appManifest, mode: 0o644})
  hash.update(appManifest)
  for (const module of modules) {
    const content = await readFile(join(root, module))
    hash.update(`${module} ${createHash('sha256').update(content).digest('hex')}\n`)
    entries.push({path: `app/${imageApp}/${module}`, content, mode: 0o644})
    bytes += content.length
  }
  for (const dir of packageDirs) {
    const {version} = JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as {version?: string}
    hash.update(`${dir}@${version}\n`)
    for (const file of await packageFiles(root, dir)) {
      entries.push({path: `app/${imageApp}/${file}`, file: join(root, file), mode: 0o644})
      bytes += (await stat(join(root, file))).size
    }
  }
  return {entries, hash: hash.digest('hex').slice(0, 16), bytes, version: manifest.version}
}
