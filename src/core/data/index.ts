/** The data layer's public API: what commands import. */
export type {Dataset, DatasetOrigin, DataSplit, TextDataset, TextFacts} from './dataset.js'
export {loadDataset, type LoadDatasetOptions} from './load-dataset.js'
export {csvRecords, loadCsvDataset, type CsvOptions} from './csv-table.js'
export {encodeTableRows, type EncodedTableRows, type TableRow, type TableRowSchema} from './encode-table-rows.js'
export {REGISTRY, findDataset, isTextEntry, type DatasetEntry, type RemoteFile} from './registry.js'
export {resolveDataDir} from './cache-dir.js'
export type {DownloadEvent} from './downloader.js'
export {
  categoryIndexInputs,
  isColumnEncodingList,
  parseColumnTypes,
  type ColumnEncoding,
  type ColumnType,
} from './table-columns.js'
export {loadDataPath, type DataPathOptions} from './load-data-path.js'
export {DEFAULT_TEST_FRACTION, type ImageFolderProgress} from './image-folder.js'
export type {ImageFolderSummary} from './image-folder-summary.js'
export {loadTextRegistryDataset} from './text-registry.js'
export {loadTextCsv, type TextCsvOptions} from './text-csv.js'
export type {TextOptions} from './text-dataset.js'
export {decodeTextBytes} from './text-folder.js'
