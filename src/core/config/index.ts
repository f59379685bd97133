export { defineSettings, commonSettings, type SettingSpec, type SettingType } from './settings.js';
export { loadConfig, type Config, type ConfigInput, type Loaded, type Source } from './load.js';
export { parseAddress, parseDuration } from './parse.js';
