export * from './compile-model.js';
export * from './expr-eval.js';
export * from './expr-parse.js';
export * from './model-schema.js';
