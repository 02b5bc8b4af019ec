import {Args, Flags} from '@oclif/core'

import {createAccount, type CreateAccountResult} from '../../accounts/accounts.js'
import {MedrecCommand} from '../../base-command.js'
import {lightKdfFlag, lightKdfWarning} from '../../cli/shared-flags.js'

export default class AccountCreate extends MedrecCommand {
  static override summary = 'Create a named account (keystore and password in .medrec/keys) and fund it for gas.'
  static override description =
    'For participants that act through this tool: providers, patients, viewers. The key never leaves the ' +
    'directory; the deployer sends it --fund ether so it can pay for gas. An existing account is kept as it is.'
  static override examples = [
    '<%= config.bin %> account create mercy',
    '<%= config.bin %> account create alice --fund 0.5',
  ]
  static override args = {
    name: Args.string({description: 'Account name (lowercase letters, digits, dashes).', required: true}),
  }
  static override flags = {
    fund: Flags.string({summary: 'Ether the deployer sends the new account.', default: '1'}),
    'light-kdf': lightKdfFlag,
  }

  async run(): Promise<CreateAccountResult> {
    const {args, flags} = await this.parse(AccountCreate)
    if (flags['light-kdf']) this.warn(lightKdfWarning)
    const result = await createAccount({
      dir: this.networkDir(flags),
      name: args.name,
      fundEther: flags.fund,
      lightKdf: flags['light-kdf'],
    })
    this.log(`${result.name}  ${result.address}${result.created ? '' : '  (existing account kept)'}`)
    return result
  }
}
