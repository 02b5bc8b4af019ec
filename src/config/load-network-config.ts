import {loadWorkspaceConfig, type WorkspaceConfigHints} from './load-workspace-config.js'
import {networkConfigSchema, type NetworkConfig} from './network-config.js'
import {parseYamlConfig} from './parse-yaml-config.js'

const networkConfigHints: WorkspaceConfigHints = {
  missing:
    'Run `medrec network init` (or `medrec network up`, which creates a default network) in this directory, or ' +
    'pass --dir.',
  notYaml:
    'Fix the YAML syntax at the lines shown, or regenerate the file with `medrec network init --force` ' +
    '(keys are kept).',
  invalid: 'Correct the fields listed; the JSON Schema in medrec.schema.json lets an editor check them as you type.',
}

/** Reads and validates `medrec.yaml` in `dir`, reporting every problem at once. */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfig> {
  return loadWorkspaceConfig(dir, 'network', networkConfigSchema, networkConfigHints)
}

/** Parses the text of a medrec.yaml; `path` is only used in messages. */
export function parseNetworkConfig(text: string, path: string): NetworkConfig {
  return parseYamlConfig(text, path, networkConfigSchema, networkConfigHints)
}
