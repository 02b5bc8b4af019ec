import type {Address} from 'viem'

import {listAccounts} from '../../accounts/accounts.js'
import {MedrecCommand} from '../../base-command.js'
import {describeCommand} from '../../cli/command-help.js'
import {networkPaths} from '../../workspace/network-files.js'

export default class AccountList extends MedrecCommand {
  async run(): Promise<{accounts: {name: string; address: Address}[]}> {
    const {flags} = await this.parse(AccountList)
    const accounts = await listAccounts(networkPaths(this.networkDir(flags)))
    for (const a of accounts) this.log(`${a.name.padEnd(20)} ${a.address}`)
    return {accounts}
  }
}

describeCommand(AccountList, import.meta.url)
