import {escapeXml} from '../io/escape-xml.js'

/**
 * A self-contained SVG heat map of a confusion matrix: rows are the actual class, columns the predicted
 * one. A cell's shade is its share of the actual class, blue on the diagonal (right) and red off it
 * (wrong), so the worst confusions stand out at a glance.
 */
export function confusionMatrixSvg(classNames: string[], counts: number[][], title: string): string {
  const n = classNames.length
  const cell = n <= 12 ? 44 : n <= 30 ? 24 : 12
  const showCounts = cell >= 24
  const label = Math.min(140, 10 + 7 * Math.max(...classNames.map((name) => name.length)))
  const left = label + 24
  const top = label + 48
  // the column labels lean right, past the last column, by about half their length
  const width = left + n * cell + Math.round(label / 2) + 8
  const height = top + n * cell + 16
  const parts: string[] = [
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<text x="${left + (n * cell) / 2}" y="38" text-anchor="middle">predicted</text>`,
    `<text transform="translate(14 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle">actual</text>`,
  ]
  classNames.forEach((name, i) => {
    const centre = i * cell + cell / 2
    parts.push(`<text x="${left - 6}" y="${top + centre + 4}" text-anchor="end">${escapeXml(name)}</text>`)
    parts.push(`<text transform="translate(${left + centre + 4} ${top - 6}) rotate(-60)">${escapeXml(name)}</text>`)
  })
  counts.forEach((row, actual) => {
    const support = row.reduce((a, b) => a + b, 0)
    row.forEach((count, predicted) => {
      const share = support === 0 ? 0 : count / support
      const strength = shadeStrength(share, actual === predicted)
      const x = left + predicted * cell
      const y = top + actual * cell
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(strength, actual === predicted)}" stroke="#ddd"><title>${escapeXml(`${classNames[actual]} → ${classNames[predicted]}: ${count} (${(share * 100).toFixed(1)}%)`)}</title></rect>`,
      )
      if (showCounts && count > 0) {
        parts.push(
          `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${strength > 0.6 ? 'white' : 'black'}">${count}</text>`,
        )
      }
    })
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`
}

/** 0 to 1; off-diagonal shares are stretched so that a 20% confusion already shows at full strength. */
function shadeStrength(share: number, diagonal: boolean): number {
  return diagonal ? share : Math.min(1, Math.sqrt(share * 5))
}

/** White at strength 0, full blue (diagonal) or red at 1. */
function shade(strength: number, diagonal: boolean): string {
  const [r, g, b] = diagonal ? [31, 119, 180] : [214, 39, 40]
  const mix = (c: number) => Math.round(255 + (c - 255) * strength)
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`
}
