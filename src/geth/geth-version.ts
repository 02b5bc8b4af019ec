/** The only geth that can still seal Clique blocks (v1.14 removed non-merge block production). */
export const pinnedGethVersion = '1.13.15'
export const pinnedGethImage = `ethereum/client-go:v${pinnedGethVersion}`

export type GethVersion = {major: number; minor: number; patch: number; raw: string}

/** Reads the version from the output of `geth version` ("Version: 1.13.15-stable"). */
export function parseGethVersionOutput(output: string): GethVersion | undefined {
  const match = /^Version:\s*v?(\d+)\.(\d+)\.(\d+)\S*\s*$/m.exec(output)
  if (!match) return undefined
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    raw: match[0].replace(/^Version:\s*/, '').trim(),
  }
}

/** Why this geth cannot seal Clique, or undefined when it is a 1.13.x release. */
export function explainUnsupportedGeth(version: GethVersion): string | undefined {
  if (version.major === 1 && version.minor === 13) return undefined
  if (version.major > 1 || (version.major === 1 && version.minor > 13)) {
    return `geth ${version.raw} cannot seal Clique blocks: v1.14.0 removed non-merge block production ("only PoS \
networks are supported"). Use geth v${pinnedGethVersion}.`
  }
  return `geth ${version.raw} is older than the 1.13 line this tool's flags and genesis rules are written for. Use \
geth v${pinnedGethVersion}.`
}

/**
 * Checks an image reference's tag without running it. Returns a reason to refuse, or
 * undefined when the tag is acceptable (a tag that names no version is checked later by
 * running `geth version` inside the image).
 */
export function explainUnsupportedImageTag(reference: string): string | undefined {
  if (reference.includes('@sha256:')) return undefined
  const lastSlash = reference.lastIndexOf('/')
  const colon = reference.indexOf(':', lastSlash + 1)
  const tag = colon === -1 ? undefined : reference.slice(colon + 1)
  if (tag === undefined || tag === 'latest' || tag === 'stable') {
    return `image "${reference}" is not pinned: "${tag ?? 'latest'}" moves to newer geth releases, which cannot \
seal Clique. Pin ${pinnedGethImage}.`
  }
  const versionInTag = /^(?:v|release-)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag)
  if (!versionInTag) return undefined
  return explainUnsupportedGeth({
    major: Number(versionInTag[1]),
    minor: Number(versionInTag[2]),
    patch: Number(versionInTag[3] ?? 0),
    raw: tag,
  })
}
