export * from './guarded-commit.js';
export * from './entity-writer.js';
export * from './group-commit.js';
