import type {Dataset} from './dataset.js'

/** Fewer training rows than either bound makes a class rare: too few to learn it or to judge it on. */
export const RARE_CLASS_ROWS = 5
export const RARE_CLASS_SHARE = 0.01

/**
 * The classes of a classification dataset with fewer than RARE_CLASS_ROWS or RARE_CLASS_SHARE of its
 * training rows, rarest first; a warning at the start of a run, since the run then succeeds while its
 * accuracy hides that the model never predicts them.
 */
export function rareClasses(dataset: Dataset): Array<{name: string; count: number}> {
  if (dataset.task !== 'classification' || !dataset.classNames) return []
  const counts = new Array<number>(dataset.classNames.length).fill(0)
  for (let n = 0; n < dataset.train.count; n++) counts[dataset.train.targets[n]]++
  const bound = Math.max(RARE_CLASS_ROWS, RARE_CLASS_SHARE * dataset.train.count)
  return dataset.classNames
    .map((name, c) => ({name, count: counts[c]}))
    .filter(({count}) => count < bound)
    .sort((a, b) => a.count - b.count)
}

/** One line naming each rare class with its rows and share, and what to do. */
export function describeRareClasses(rare: Array<{name: string; count: number}>, trainingRows: number): string {
  const list = rare
    .map(({name, count}) => `"${name}" ${count} (${((100 * count) / trainingRows).toFixed(1)}%)`)
    .join(', ')
  return `rare ${rare.length === 1 ? 'class' : 'classes'} in the ${trainingRows} training rows: ${list}; the model may never predict ${rare.length === 1 ? 'it' : 'them'} and the test metric says little about ${rare.length === 1 ? 'it' : 'them'}. Add rows, or merge ${rare.length === 1 ? 'it' : 'them'} into another class.`
}
