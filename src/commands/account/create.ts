import {Args, Flags} from '@oclif/core'

import {createAccount, type CreateAccountResult} from '../../accounts/accounts.js'
import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {lightKdfFlag} from '../../cli/shared-flags.js'

export default class AccountCreate extends MedrecCommand {
  static override args = {
    name: Args.string({description: 'Account name (lowercase letters, digits, dashes).', required: true}),
  }
  static override flags = {
    fund: Flags.string({summary: 'Ether the deployer sends the new account.', default: '1'}),
    'light-kdf': lightKdfFlag,
  }

  async run(): Promise<CreateAccountResult> {
    const result = await this.serve(AccountCreate, createAccount, {fund: 'fundEther'})
    this.log(`${result.name}  ${result.address}${result.created ? '' : '  (existing account kept)'}`)
    return result
  }
}

describeCommand(AccountCreate, import.meta.url)
