import {access, constants, copyFile, mkdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import type {ContainerEngine} from '../docker/container-engine.js'
import {createTarArchive} from '../docker/tar-archive.js'
import {errorCodes} from '../errors/error-codes.js'
import {MedrecError} from '../errors/medrec-error.js'
import {
  explainUnsupportedGeth,
  parseGethVersionOutput,
  pinnedGethImage,
  pinnedGethVersion,
} from '../geth/geth-version.js'
import {runStep, silentProgress, type ProgressListener} from '../progress/progress-events.js'
import {medrecCacheDir, readGethVersionFromImage} from './geth-image.js'

const dockerfilePath = fileURLToPath(new URL('../../docker/geth.Dockerfile', import.meta.url))
const gethModule = `github.com/ethereum/go-ethereum/cmd/geth@v${pinnedGethVersion}`

/** Where a geth built from its Go module is kept between runs (outside any repository). */
export function gethCacheDir(): string {
  return join(medrecCacheDir(), 'geth', `v${pinnedGethVersion}`)
}

export type BuildGethImageOptions = {
  tag?: string
  /** A geth 1.13.x linux binary to package; found or built when absent. */
  gethBinary?: string
  /** Build geth from its Go module when no binary is given or cached (needs Go). */
  allowGoBuild?: boolean
  progress?: ProgressListener
}

export type BuildGethImageResult = {
  tag: string
  imageId: string
  gethVersion: string
  gethBinary: string
  builtFromSource: boolean
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function goArch(): string {
  return (
    ({x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386'} as Record<string, string>)[process.arch] ?? process.arch
  )
}

/**
 * Runs `geth version` on a host binary and refuses anything but 1.13.x. Off linux the
 * binary cannot run here; the version is then checked inside the built image.
 */
async function checkGethBinary(path: string): Promise<string> {
  if (process.platform !== 'linux') return 'checked in the image'
  const result = await execa(path, ['version'], {reject: false, timeout: 30_000})
  const version = parseGethVersionOutput(result.stdout)
  if (result.exitCode !== 0 || !version) {
    throw new MedrecError(
      errorCodes.GETH_BINARY_MISSING,
      `${path} is not a geth binary this machine can run (\`geth version\` failed).`,
      {
        details: [result.stderr?.toString().split('\n')[0] ?? ''].filter(Boolean),
        hint: `Pass a linux geth v${pinnedGethVersion} binary with --geth-binary.`,
      },
    )
  }
  const problem = explainUnsupportedGeth(version)
  if (problem)
    throw new MedrecError(errorCodes.IMAGE_WRONG_VERSION, `${path}: ${problem}`, {
      hint: `Pass a geth v${pinnedGethVersion} binary.`,
    })
  return version.raw
}

/** Builds a static geth from its Go module into the cache; returns the binary's path. */
async function buildGethWithGo(update: (message: string) => void): Promise<string> {
  const go = await execa('go', ['version'], {reject: false})
  if (go.exitCode !== 0) {
    throw new MedrecError(
      errorCodes.GETH_BINARY_MISSING,
      `No geth v${pinnedGethVersion} binary was given or found, and Go is not installed to build one.`,
      {
        hint:
          `Install Go (https://go.dev/dl) and run again, or pass ` +
          `--geth-binary PATH to a geth v${pinnedGethVersion} linux binary.`,
      },
    )
  }
  const binDir = gethCacheDir()
  await mkdir(binDir, {recursive: true})
  update(`go install ${gethModule} (a few minutes on two cores)`)
  // The image is linux whatever the host is (Docker Desktop runs a linux VM). go install
  // refuses GOBIN for a cross build; it then installs into GOPATH/bin/linux_ARCH.
  const cross = process.platform !== 'linux'
  const build = await execa('go', ['install', '-trimpath', '-ldflags', '-checklinkname=0 -s -w', gethModule], {
    reject: false,
    env: {CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOOS: 'linux', GOARCH: goArch(), ...(cross ? {} : {GOBIN: binDir})},
    all: true,
  })
  if (build.exitCode !== 0) {
    throw new MedrecError(
      errorCodes.GETH_BUILD_FAILED,
      `Building geth v${pinnedGethVersion} with ${go.stdout.trim()} failed.`,
      {
        details: (build.all ?? '').trim().split('\n').slice(-8),
        hint:
          'If the Go toolchain is too new for geth 1.13, retry ' +
          'with GOTOOLCHAIN=go1.22.12 set; or pass --geth-binary.',
      },
    )
  }
  if (cross) {
    const goPath = (await execa('go', ['env', 'GOPATH'])).stdout.trim()
    await copyFile(join(goPath, 'bin', `linux_${goArch()}`, 'geth'), join(binDir, 'geth'))
  }
  return join(binDir, 'geth')
}

/** Finds a geth 1.13 binary: the flag, then MEDREC_GETH_BINARY, then the cache; builds one with Go if allowed. */
async function locateGethBinary(
  options: BuildGethImageOptions,
  update: (message: string) => void,
): Promise<{path: string; built: boolean}> {
  if (options.gethBinary) {
    if (!(await isExecutable(options.gethBinary))) {
      throw new MedrecError(
        errorCodes.GETH_BINARY_MISSING,
        `--geth-binary ${options.gethBinary} does not exist or is not executable.`,
        {
          hint: 'Check the path, or leave the flag out to use (or build) the cached geth.',
        },
      )
    }
    return {path: options.gethBinary, built: false}
  }
  for (const candidate of [process.env.MEDREC_GETH_BINARY, join(gethCacheDir(), 'geth')]) {
    if (candidate && (await isExecutable(candidate))) return {path: candidate, built: false}
  }
  if (options.allowGoBuild === false) {
    throw new MedrecError(
      errorCodes.GETH_BINARY_MISSING,
      `No geth v${pinnedGethVersion} binary was given or found in ${gethCacheDir()}.`,
      {
        hint: 'Pass --geth-binary PATH, or allow building it from source with Go.',
      },
    )
  }
  return {path: await buildGethWithGo(update), built: true}
}

/**
 * Builds the pinned geth image locally (FROM scratch, the static binary as its only
 * file) for machines that cannot pull from a registry.
 */
export async function buildGethImage(
  engine: ContainerEngine,
  options: BuildGethImageOptions = {},
): Promise<BuildGethImageResult> {
  const progress = options.progress ?? silentProgress
  const tag = options.tag ?? pinnedGethImage
  await engine.ping()
  const binary = await runStep(
    progress,
    'binary',
    'Finding a geth 1.13 binary',
    (update) => locateGethBinary(options, update),
    (b) => b.path,
  )
  const version = await runStep(
    progress,
    'check-binary',
    "Checking the binary's version",
    () => checkGethBinary(binary.path),
    (v) => v,
  )
  await runStep(progress, 'build', `Building image ${tag}`, async () => {
    const context = createTarArchive(
      [
        {path: 'Dockerfile', content: await readFile(dockerfilePath), mode: 0o644},
        {path: 'geth', content: await readFile(binary.path), mode: 0o755},
      ],
      ['tmp/'],
    )
    await engine.buildImage(context, tag, {
      'org.medrec.managed': 'true',
      'org.medrec.geth-version': version,
      'org.opencontainers.image.description': `geth ${version} built locally by medrec from ${gethModule}`,
    })
  })
  const imageVersion = await runStep(
    progress,
    'verify',
    'Running `geth version` in the image',
    () => readGethVersionFromImage(engine, tag),
    (v) => v,
  )
  const image = await engine.inspectImage(tag)
  return {
    tag,
    imageId: image?.id ?? '',
    gethVersion: imageVersion,
    gethBinary: binary.path,
    builtFromSource: binary.built,
  }
}
