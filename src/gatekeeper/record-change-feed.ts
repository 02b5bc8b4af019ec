import type {Hex} from 'viem'

import type {RecordChange, RecordStore} from './record-store.js'

/**
 * One poller of the store's change sequence shared by every notification stream: it runs
 * only while someone is subscribed, and hands each change to the subscribers of that
 * patient. Changes written by another process (e.g. `medrec gatekeeper import`) are seen
 * too, because they come from the store, not from this process.
 */
export class RecordChangeFeed {
  private readonly subscribers = new Map<Hex, Set<(change: RecordChange) => void>>()
  private cursor: number | undefined
  private timer: NodeJS.Timeout | undefined
  private polling = false

  private readonly store: RecordStore
  private readonly pollMs: number

  constructor(store: RecordStore, pollMs: number) {
    this.store = store
    this.pollMs = pollMs
  }

  /** Calls `listener` for each later change to `patient`'s records; returns the unsubscribe. */
  subscribe(patient: Hex, listener: (change: RecordChange) => void): () => void {
    const key = patient.toLowerCase() as Hex
    let set = this.subscribers.get(key)
    if (!set) {
      set = new Set()
      this.subscribers.set(key, set)
    }
    set.add(listener)
    if (!this.timer) this.start()
    return () => {
      set.delete(listener)
      if (set.size === 0) this.subscribers.delete(key)
      if (this.subscribers.size === 0) this.stop()
    }
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.cursor = undefined
  }

  private start(): void {
    // Only changes after the first subscription count: read the current end first.
    const ready = this.store.lastSeq().then((seq) => {
      this.cursor ??= seq
    })
    this.timer = setInterval(() => void ready.then(() => this.poll()), this.pollMs)
    this.timer.unref()
  }

  private async poll(): Promise<void> {
    if (this.polling || this.cursor === undefined) return
    this.polling = true
    try {
      for (;;) {
        const changes = await this.store.changesSince(this.cursor)
        for (const change of changes) {
          this.cursor = change.seq
          for (const listener of this.subscribers.get(change.patient.toLowerCase() as Hex) ?? []) listener(change)
        }
        if (changes.length === 0) break
      }
    } catch {
      // The store is unreachable for now; the next tick tries again from the same cursor.
    } finally {
      this.polling = false
    }
  }
}
