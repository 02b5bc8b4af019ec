import {Listr, ListrLogger, ProcessOutput} from 'listr2'

import type {ProgressEvent, ProgressListener} from './progress-events.js'

export type ProgressRenderer = {
  listener: ProgressListener
  /** Marks the running step as failed and waits for the terminal to settle. */
  fail(error: unknown): Promise<void>
  /** Waits for the last step's line to be drawn. */
  finish(): Promise<void>
}

type Deferred = {
  resolve(): void
  reject(error: unknown): void
  update(message: string): void
  skip(reason: string): void
}

/**
 * Draws steps with listr2 on a terminal. Steps are sequential, so each step gets its own
 * one-task list that settles when the service reports the step done (or fails).
 */
function listrRenderer(): ProgressRenderer {
  // stdout carries only the command's result; progress is drawn on stderr.
  const stderrLogger = new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr)})
  let current: Deferred | undefined
  let running: Promise<unknown> = Promise.resolve()

  const start = (title: string) => {
    let resolveStep!: () => void
    let rejectStep!: (error: unknown) => void
    const settled = new Promise<void>((resolve, reject) => {
      resolveStep = resolve
      rejectStep = reject
    })
    const handle: Deferred = {resolve: resolveStep, reject: rejectStep, update: () => {}, skip: () => {}}
    let skipReason: string | undefined
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx, task) => {
            handle.update = (message) => {
              task.output = message
            }
            handle.skip = (reason) => {
              skipReason = reason
              resolveStep()
            }
            await settled
            if (skipReason !== undefined) task.skip(`${title}: ${skipReason}`)
          },
          rendererOptions: {persistentOutput: false},
        },
      ],
      // registerSignalListeners off: listr2 would exit(127) on Ctrl-C, cutting short the
      // command's own handling (network up removes what a first start created).
      {
        exitOnError: true,
        registerSignalListeners: false,
        renderer: 'default',
        rendererOptions: {collapseErrors: false, showErrorMessage: false, logger: stderrLogger},
      },
    )
    const previous = running
    running = previous.then(() => list.run()).catch(() => {})
    current = handle
  }

  const listener = (event: ProgressEvent) => {
    switch (event.type) {
      case 'step-start':
        current?.resolve()
        start(event.title)
        break
      case 'step-update':
        current?.update(event.message)
        break
      case 'step-done':
        current?.resolve()
        current = undefined
        break
      case 'step-skip':
        current?.skip(event.reason)
        current = undefined
        break
      case 'warning':
        process.stderr.write(`Warning: ${event.message}\n`)
        break
    }
  }
  return {
    listener,
    async fail(error) {
      current?.reject(error)
      current = undefined
      await running
    },
    async finish() {
      current?.resolve()
      await running
    },
  }
}

/** Plain lines on stderr for logs and CI: one line per finished step. */
function plainRenderer(write: (line: string) => void): ProgressRenderer {
  const titles = new Map<string, string>()
  const listener = (event: ProgressEvent) => {
    switch (event.type) {
      case 'step-start':
        titles.set(event.id, event.title)
        write(`… ${event.title}`)
        break
      case 'step-update':
        break
      case 'step-done':
        write(`✔ ${titles.get(event.id) ?? event.id}${event.summary ? `: ${event.summary}` : ''}`)
        break
      case 'step-skip':
        write(`↓ ${titles.get(event.id) ?? event.id}: ${event.reason}`)
        break
      case 'warning':
        write(`Warning: ${event.message}`)
        break
    }
  }
  return {listener, fail: async () => {}, finish: async () => {}}
}

/** listr2 on an interactive terminal, plain lines on stderr otherwise, nothing under --json. */
export function createProgressRenderer(options: {json: boolean}): ProgressRenderer {
  if (options.json) return {listener: () => {}, fail: async () => {}, finish: async () => {}}
  if (process.stderr.isTTY && !process.env.CI) return listrRenderer()
  return plainRenderer((line) => process.stderr.write(`${line}\n`))
}
