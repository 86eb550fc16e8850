// Pure CSV import logic (issue 10): reading a file an agent exported from a spreadsheet or
// another CRM, guessing which column is which client field, and turning each row into a
// client or a reason it cannot be one. Shared by the gateway (preview) and the import job.

export * from './src/csv.ts';
export * from './src/mapping.ts';
