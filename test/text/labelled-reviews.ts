/** Short labelled reviews for training tiny text models in tests: the label mostly follows from one word. */
const GOOD = ['great', 'love', 'excellent', 'wonderful', 'perfect', 'happy']
const BAD = ['awful', 'terrible', 'broke', 'worst', 'refund', 'disappointed']
const FILLER = ['the', 'product', 'it', 'was', 'and', 'really', 'very', 'this', 'item', 'delivery', 'not', 'quite']

export interface LabelledReview {
  review: string
  label: string
}

/** Reviews of varied length (up to `maxFiller` filler words) whose label mostly follows from one word. */
export function labelledReviews(count: number, seed: number, maxFiller = 8): LabelledReview[] {
  let state = seed
  const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n)
  return Array.from({length: count}, (_, i) => {
    const label = i % 3 === 0 ? 'neg' : 'pos'
    const words = Array.from({length: 1 + next(maxFiller)}, () => FILLER[next(FILLER.length)])
    words.splice(next(words.length + 1), 0, (label === 'pos' ? GOOD : BAD)[next(6)])
    if (i % 4 === 0) words.push([...GOOD, ...BAD][next(12)])
    return {review: words.join(' '), label}
  })
}

export const reviewsCsv = (rows: LabelledReview[]) =>
  `review,label\n${rows.map((r) => `${r.review},${r.label}`).join('\n')}\n`
