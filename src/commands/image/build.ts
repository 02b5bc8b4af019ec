import {Flags} from '@oclif/core'

import {MedrecCommand} from '../../base-command.js'
import type {WorkspaceKind} from '../../config/workspace-kind.js'
import {pinnedGethImage} from '../../geth/geth-version.js'
import {buildGethImage, type BuildGethImageResult} from '../../image/build-geth-image.js'

export default class ImageBuild extends MedrecCommand {
  static override workspaceKind: WorkspaceKind = 'any'
  static override summary = `Build the pinned geth image (${pinnedGethImage}) locally.`
  static override description =
    `For machines that cannot pull from a registry. Packages a geth 1.13.x linux binary into a ` +
    `minimal image (FROM scratch). The binary comes from --geth-binary, MEDREC_GETH_BINARY or the ` +
    `cache (~/.cache/medrec/geth); with none found and Go installed, geth is built from its Go module ` +
    `first and cached. Any geth other than 1.13.x is refused: later releases cannot seal Clique.`
  static override examples = ['<%= config.bin %> image build', '<%= config.bin %> image build --geth-binary ./geth']

  static override flags = {
    'geth-binary': Flags.file({summary: 'A geth 1.13.x linux binary to package.', exists: false}),
    tag: Flags.string({summary: 'Image tag.', default: pinnedGethImage}),
    'no-go-build': Flags.boolean({summary: 'Fail instead of building geth with Go when no binary is found.'}),
  }

  async run(): Promise<BuildGethImageResult> {
    const {flags} = await this.parse(ImageBuild)
    const result = await this.withProgress((progress) =>
      buildGethImage(this.dockerEngine(), {
        tag: flags.tag,
        gethBinary: flags['geth-binary'],
        allowGoBuild: !flags['no-go-build'],
        progress,
      }),
    )
    this.log(`Built ${result.tag} (geth ${result.gethVersion}).`)
    return result
  }
}
