export * from './page-format-script.js';
export * from './point-decimals.js';
export * from './unit-symbol.js';
