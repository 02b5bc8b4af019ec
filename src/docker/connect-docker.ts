import {runStep, type ProgressListener} from '../progress/progress-events.js'
import type {ContainerEngine} from './container-engine.js'

/** The `docker` step a start begins with: the engine answers, and the step names which engine it is. */
export function connectToDocker(engine: ContainerEngine, progress: ProgressListener): Promise<void> {
  return runStep(
    progress,
    'docker',
    'Connecting to Docker',
    () => engine.ping(),
    () => engine.describeEndpoint(),
  )
}
