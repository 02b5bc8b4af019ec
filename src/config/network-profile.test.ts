import {describe, expect, it} from 'vitest'

import {networkProfiles, profileSettings} from './network-profile.js'

/**
 * One row a setting: what each profile gets, and why throwaway differs. A changed value, a new
 * setting without a row, or a new profile without a column each fails a test below.
 */
const settingRows = [
  {setting: 'defaultPeriod', standard: 5, throwaway: 1, why: 'a test chain seals every second'},
  {setting: 'lightKdf', standard: false, throwaway: true, why: 'light scrypt: keys made fast, weak'},
  {setting: 'chainData', standard: 'volume', throwaway: 'tmpfs', why: 'the chain lives in memory only'},
  {setting: 'restartPolicy', standard: 'unless-stopped', throwaway: 'no', why: 'a crash shows instead'},
  {setting: 'reconciler', standard: true, throwaway: false, why: 'nothing outlives the test'},
  {setting: 'labels', standard: {}, throwaway: {'org.medrec.profile': 'throwaway'}, why: 'cleanup finds it'},
] as const

describe('profileSettings', () => {
  it.each(settingRows)('gives $setting $standard on standard, $throwaway on throwaway: $why', (row) => {
    for (const profile of networkProfiles) expect(profileSettings(profile)[row.setting]).toEqual(row[profile])
  })

  it('has no setting without a row above, on any profile', () => {
    for (const profile of networkProfiles) {
      expect(Object.keys(profileSettings(profile)).sort()).toEqual(settingRows.map((row) => row.setting).sort())
    }
  })
})
