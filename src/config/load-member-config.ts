import {loadWorkspaceConfig, type WorkspaceConfigHints} from './load-workspace-config.js'
import {memberConfigSchema, memberConfigSchemaFileName, type MemberConfig} from './member-config.js'
import {parseYamlConfig} from './parse-yaml-config.js'

const memberConfigHints: WorkspaceConfigHints = {
  missing:
    "Run `medrec member init NAME --advertise HOST[:PORT]` to make this provider's workspace here, or pass --dir.",
  notYaml:
    'Fix the YAML syntax at the lines shown, or rewrite the file with `medrec member init NAME --advertise ' +
    'HOST --force` (keys are kept).',
  invalid: `Correct the fields listed; the JSON Schema in ${memberConfigSchemaFileName} lets an editor check \
them as you type.`,
}

/** Reads and validates `medrec-member.yaml` in `dir`, reporting every problem at once. */
export async function loadMemberConfig(dir: string): Promise<MemberConfig> {
  return loadWorkspaceConfig(dir, 'member', memberConfigSchema, memberConfigHints)
}

/** Parses the text of a medrec-member.yaml; `path` is only used in messages. */
export function parseMemberConfig(text: string, path: string): MemberConfig {
  return parseYamlConfig(text, path, memberConfigSchema, memberConfigHints)
}
