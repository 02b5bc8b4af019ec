import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {sealerActivity, type SealerActivity} from '../../sealers/list-sealers.js'

export default class SealerStatus extends MedrecCommand {
  async run(): Promise<SealerActivity> {
    const activity = await this.serve(SealerStatus, sealerActivity)
    this.log(`Last ${activity.numBlocks} blocks, ${activity.inturnPercent.toFixed(0)}% sealed in turn.`)
    for (const s of activity.signers)
      this.log(`  ${(s.name ?? '(not in medrec.yaml)').padEnd(20)} ${s.address}  ${s.sealed} blocks`)
    return activity
  }
}

describeCommand(SealerStatus, import.meta.url)
