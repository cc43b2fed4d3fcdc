// Text from outside (config files, the environment, STS answers) on its way
// to a terminal. A control character in it could move the cursor, clear the
// screen, set the window title, or end a line and forge a "kops-mfa:" line of
// its own; so every one is shown as a visible \xHH instead.
//
// Replaced: C0 (U+0000-U+001F: ESC, CR, LF, TAB, BS, BEL ...), DEL (U+007F)
// and C1 (U+0080-U+009F: CSI, OSC, NEL ..., which some terminals obey as
// escapes on their own). Nothing that moves the cursor or starts an escape
// sequence survives; all other characters, non-ASCII included, are kept.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const hex = (c: string) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** `text` with every C0/C1 control character and DEL written as a visible \xHH. */
export function printable(text: string): string {
  return text.replace(CONTROL, hex);
}
