import {createInterface} from 'node:readline'

/**
 * Writes each node's log stream to stdout line by line, every line prefixed with its node's name
 * when there are several, and resolves when all have ended (for `--follow`, when they are closed).
 */
export async function printLogStreams(
  streams: readonly {node: string; stream: NodeJS.ReadableStream}[],
): Promise<void> {
  const prefixed = streams.length > 1
  const width = Math.max(...streams.map((s) => s.node.length))
  await Promise.all(
    streams.map(
      ({node, stream}) =>
        new Promise<void>((resolve, reject) => {
          const lines = createInterface({input: stream, crlfDelay: Infinity})
          lines.on('line', (line) => process.stdout.write(prefixed ? `${node.padEnd(width)} | ${line}\n` : `${line}\n`))
          lines.on('close', resolve)
          stream.on('error', reject)
        }),
    ),
  )
}
