import {escapeXml} from '../io/escape-xml.js'

/** A self-contained SVG of loss and metric per epoch, so a run can be judged by opening one file. */

export interface CurveSeries {
  label: string
  color: string
  values: Array<number | undefined>
}

export interface CurvePanel {
  title: string
  series: CurveSeries[]
}

const PANEL_W = 420
const PANEL_H = 260
const MARGIN = {left: 56, right: 16, top: 32, bottom: 40}

export function learningCurveSvg(epochs: number[], panels: CurvePanel[]): string {
  const width = PANEL_W * panels.length
  const body = panels.map((panel, i) => panelSvg(epochs, panel, i * PANEL_W)).join('\n')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL_H}" viewBox="0 0 ${width} ${PANEL_H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`
}

function panelSvg(epochs: number[], panel: CurvePanel, x0: number): string {
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)))
  const [lo, hi] = paddedRange(values)
  const [e0, e1] = [Math.min(...epochs), Math.max(...epochs)]
  const plotW = PANEL_W - MARGIN.left - MARGIN.right
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom
  const px = (epoch: number) => x0 + MARGIN.left + (e1 === e0 ? plotW / 2 : ((epoch - e0) / (e1 - e0)) * plotW)
  const py = (v: number) => MARGIN.top + plotH - ((v - lo) / (hi - lo)) * plotH

  const parts: string[] = [
    `<text x="${x0 + PANEL_W / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ]
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${py(v) + 4}" text-anchor="end">${formatTick(v)}</text>`)
  }
  for (const epoch of epochs) {
    parts.push(`<text x="${px(epoch)}" y="${PANEL_H - MARGIN.bottom + 16}" text-anchor="middle">${epoch}</text>`)
  }
  parts.push(`<text x="${x0 + MARGIN.left + plotW / 2}" y="${PANEL_H - 6}" text-anchor="middle">epoch</text>`)
  panel.series.forEach((s, i) => {
    const points = epochs
      .map((epoch, k) => [epoch, s.values[k]] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined && Number.isFinite(p[1]))
      .map(([epoch, v]) => `${px(epoch).toFixed(1)},${py(v).toFixed(1)}`)
    if (points.length > 0) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>`)
      for (const p of points)
        parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${s.color}"/>`)
    }
    const ly = MARGIN.top + 14 + i * 14
    parts.push(
      `<line x1="${x0 + PANEL_W - 120}" y1="${ly - 4}" x2="${x0 + PANEL_W - 104}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
    )
    parts.push(`<text x="${x0 + PANEL_W - 100}" y="${ly}">${escapeXml(s.label)}</text>`)
  })
  return parts.join('\n')
}

function paddedRange(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1]
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const pad = hi === lo ? Math.abs(hi) * 0.1 || 1 : (hi - lo) * 0.05
  return [lo - pad, hi + pad]
}

function formatTick(v: number): string {
  return Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3)
}
