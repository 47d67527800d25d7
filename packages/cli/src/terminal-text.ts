/**
 * Text made safe to print on a terminal: control characters (ESC, BEL, the C1 range…) in stored strings such as task
 * names or logged errors become `?`, so no user's data can move the cursor, retitle the window or hide a line on the
 * terminal of whoever lists it (an admin lists everyone's). Newlines and tabs stay.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
