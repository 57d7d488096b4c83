/** The data layer's public API: what commands import. */
export type {Dataset, DatasetOrigin, DataSplit} from './dataset.js'
export {loadDataset, type LoadDatasetOptions} from './load-dataset.js'
export {csvRecords, loadCsvDataset, type CsvOptions} from './csv-table.js'
export {encodeTableRows, type EncodedTableRows, type TableRow, type TableRowSchema} from './encode-table-rows.js'
export {REGISTRY, findDataset, type DatasetEntry, type RemoteFile} from './registry.js'
export {resolveDataDir} from './cache-dir.js'
export type {DownloadEvent} from './downloader.js'
export {isColumnEncodingList, parseColumnTypes, type ColumnEncoding, type ColumnType} from './table-columns.js'
