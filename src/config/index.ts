export {
  atLeast,
  type ConfigDef,
  type ConfigDocRow,
  type ConfigLayer,
  type ConfigSpec,
  type ConfigType,
  type ConfigValues,
  type ConfigWarning,
  defineConfig,
  type Importance,
  itemsOneOf,
  type KeySpec,
  matches,
  nonEmptyList,
  nonEmptyString,
  oneOf,
  overridesLayer,
  type ParsedConfig,
  type ParseOptions,
  Password,
  range,
  type Validator,
  type ValueOf,
  type ValueOrigin,
} from './config-def.ts';
export { ConfigError, type ConfigIssue, formatConfigIssue } from './config-error.ts';
export { renderConfigMarkdown } from './config-markdown.ts';
export {
  formatProperties,
  type ParsedProperties,
  type PropertyEntry,
  parseProperties,
} from './properties.ts';
export { loadPropertiesFile } from './properties-file.ts';
