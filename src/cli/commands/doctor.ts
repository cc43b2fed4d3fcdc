import type { Context, Outcome } from '../../context.js';
import type { Flags } from '../options.js';
export async function doctorCommand(_flags: Flags, _ctx: Context): Promise<Outcome> {
  return {};
}
