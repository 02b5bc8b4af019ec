import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import type {WorkspaceKind} from '../../config/workspace-kind.js'
import {pinnedGethImage} from '../../geth/geth-version.js'
import {buildGethImage, type BuildGethImageResult} from '../../image/build-geth-image.js'
import {ensureReconcilerImage, type ReconcilerImage} from '../../reconciler/build-reconciler-image.js'

export default class ImageBuild extends MedrecCommand {
  static override workspaceKind: WorkspaceKind = 'any'

  static override flags = {
    'geth-binary': Flags.file({summary: 'A geth 1.13.x linux binary to package.', exists: false}),
    tag: Flags.string({summary: 'Image tag of geth.', default: pinnedGethImage}),
    'no-go-build': Flags.boolean({summary: 'Fail instead of building geth with Go when no binary is found.'}),
    'no-reconciler': Flags.boolean({summary: "Build only geth, not the vote reconciler's image."}),
  }

  async run(): Promise<BuildGethImageResult & {reconciler: ReconcilerImage | null}> {
    const {flags} = await this.parse(ImageBuild)
    const engine = this.dockerEngine()
    const {result, reconciler} = await this.withProgress(async (progress) => {
      const result = await buildGethImage(engine, {
        tag: flags.tag,
        gethBinary: flags['geth-binary'],
        allowGoBuild: !flags['no-go-build'],
        progress,
      })
      const reconciler = flags['no-reconciler'] ? null : await ensureReconcilerImage(engine, {progress})
      return {result, reconciler}
    })
    this.log(`Built ${result.tag} (geth ${result.gethVersion}).`)
    if (reconciler) {
      const size = `${Math.round(reconciler.sizeBytes / 1_000_000)} MB`
      const how = reconciler.action === 'built' ? `built in ${(reconciler.buildMs / 1000).toFixed(1)} s` : 'up to date'
      this.log(`${reconciler.tag}: ${how}, ${size}.`)
    }
    return {...result, reconciler}
  }
}

describeCommand(ImageBuild, import.meta.url)
