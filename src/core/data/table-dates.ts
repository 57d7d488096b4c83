/** A calendar date as written in a table cell; any time of day or time zone after it is not used. */
export interface CalendarDate {
  year: number
  /** 1-12 */
  month: number
  /** 1-31 */
  day: number
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]
/** 2026-11-28, 2026/11/28, 2026.11.28, optionally followed by a time: "2026-11-28T10:00:00Z", "2026-11-28 10:00". */
const YEAR_FIRST =
  /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i
/** 28 Nov 2026, 28-Nov-2026, 28 November 2026 */
const DAY_FIRST = /^(\d{1,2})[ -]([a-z]{3,9})\.?[ -],?\s*(\d{4})$/i
/** Nov 28 2026, November 28, 2026, Nov. 28th 2026 */
const MONTH_FIRST = /^([a-z]{3,9})\.?[ -](\d{1,2})(?:st|nd|rd|th)?,?[ -]\s*(\d{4})$/i

/**
 * The date a cell states, or undefined. Only forms whose order of day and month is unambiguous are read:
 * year first (ISO 8601 and its common variants) or a month name; 03/04/2026 is not a date here, since it
 * means March in one country and April in another.
 */
export function parseDate(cell: string): CalendarDate | undefined {
  const text = cell.trim()
  let parts: [string, string | number, string] | undefined
  let match = YEAR_FIRST.exec(text)
  if (match) parts = [match[1], Number(match[2]), match[3]]
  else if ((match = DAY_FIRST.exec(text))) parts = [match[3], monthNumber(match[2]), match[1]]
  else if ((match = MONTH_FIRST.exec(text))) parts = [match[3], monthNumber(match[1]), match[2]]
  if (!parts) return undefined
  const [year, month, day] = [Number(parts[0]), Number(parts[1]), Number(parts[2])]
  if (!(month >= 1 && month <= 12)) return undefined
  // Date.UTC rolls 31 April over into May: a day the month does not have is not a date.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined
  return {year, month, day}
}

/** 1-12 for a month's name, its first three letters or "sept"; 0 for anything else. */
function monthNumber(name: string): number {
  const lower = name.toLowerCase()
  return (
    MONTHS.findIndex(
      (full) => lower === full || lower === full.slice(0, 3) || (lower === 'sept' && full === 'september'),
    ) + 1
  )
}

/** Days since 1970-01-01: orders dates and takes their median. */
export function dayNumber(date: CalendarDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / 86_400_000
}

export function formatDate(date: CalendarDate): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0')
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`
}

/** What a date column becomes, after its name: a trend, then each season as a point on a circle. */
export const DATE_FEATURES = [
  'year',
  'month sin',
  'month cos',
  'weekday sin',
  'weekday cos',
  'day of year sin',
  'day of year cos',
] as const

/**
 * The DATE_FEATURES of a date. The year counts fractions (2026-07-02 is about 2026.5), so that it carries the
 * trend across year ends. Month, weekday and day of year are cyclic: sin and cos of the angle put December
 * next to January and Sunday next to Monday, which one number from 1 to 12 (or 0 to 6) would not.
 */
export function dateFeatures(date: CalendarDate): number[] {
  const start = Date.UTC(date.year, 0, 1)
  const days = (Date.UTC(date.year + 1, 0, 1) - start) / 86_400_000
  const dayOfYear = (Date.UTC(date.year, date.month - 1, date.day) - start) / 86_400_000
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()
  const circle = (fraction: number) => [Math.sin(2 * Math.PI * fraction), Math.cos(2 * Math.PI * fraction)]
  return [
    date.year + dayOfYear / days,
    ...circle((date.month - 1) / 12),
    ...circle(weekday / 7),
    ...circle(dayOfYear / days),
  ]
}
