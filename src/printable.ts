// Text from outside (AWS answers, config files, the environment) shown on a
// terminal: control characters stripped, so an ARN or an error message can
// neither clear the screen nor start a line that looks like kops-mfa's own.

/** C0 controls (newline and tab included), DEL, C1 controls (ESC's 8-bit twins), and the bidi overrides that reorder what is shown. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(CONTROL, '');
}
