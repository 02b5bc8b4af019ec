/**
 * Long-running services report what they do as events; a renderer decides how (or
 * whether) to show them. Services never print.
 */
export type ProgressEvent =
  | {type: 'step-start'; id: string; title: string}
  | {type: 'step-update'; id: string; message: string}
  | {type: 'step-done'; id: string; summary?: string}
  | {type: 'step-skip'; id: string; reason: string}
  | {type: 'warning'; message: string}

export type ProgressListener = (event: ProgressEvent) => void

/** A listener that ignores everything (for tests and `--json`). */
export const silentProgress: ProgressListener = () => {}

/** Runs `work` as one reported step: start, then done (with its summary) or nothing on failure. */
export async function runStep<T>(
  progress: ProgressListener,
  id: string,
  title: string,
  work: (update: (message: string) => void) => Promise<T>,
  summarize?: (result: T) => string | undefined,
): Promise<T> {
  progress({type: 'step-start', id, title})
  const result = await work((message) => progress({type: 'step-update', id, message}))
  const summary = summarize?.(result)
  progress(summary === undefined ? {type: 'step-done', id} : {type: 'step-done', id, summary})
  return result
}
