/** Text made safe to place inside an XML (SVG) element or a double-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;'})[c] as string)
}
