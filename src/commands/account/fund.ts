import {Args, Flags} from '@oclif/core'

import {fundAccount} from '../../accounts/accounts.js'
import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'

export default class AccountFund extends MedrecCommand {
  static override args = {
    account: Args.string({description: 'A key name of this directory, or a 0x address.', required: true}),
  }
  static override flags = {amount: Flags.string({summary: 'Ether to send.', default: '1'})}

  async run(): Promise<Awaited<ReturnType<typeof fundAccount>>> {
    const {args, flags} = await this.parse(AccountFund)
    const result = await fundAccount({dir: this.networkDir(flags), account: args.account, amountEther: flags.amount})
    this.log(`Sent ${flags.amount} ETH to ${result.account} (transaction ${result.fundingTx}).`)
    return result
  }
}

describeCommand(AccountFund, import.meta.url)
