export { JsonlFileExporter } from './jsonl/JsonlFileExporter.js';
export type { JsonlFileExporterOptions } from './jsonl/JsonlFileExporter.js';
export { JsonlFileWriter } from './jsonl/writer.js';
