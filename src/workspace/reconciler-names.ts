// The vote reconciler's names and paths, in a module of their own: its health check loads
// this file every few seconds, and nothing else.

/** The reconciler's name among the network's Docker objects (`medrec-NAME_reconciler`). */
export const reconcilerNodeName = 'reconciler'
/** Where its volume is mounted in its container. */
export const reconcilerDataDir = '/var/lib/medrec-reconciler'
/** Written by the tool (through the Docker archive API) whenever it records or forgets a vote. */
export const reconcilerDesiredFileName = 'desired.json'
/** Written by the reconciler each cycle: its heartbeat and its last actions. */
export const reconcilerStatusFileName = 'status.json'
