/** postconf — placeholder during bootstrap; replaced by the real implementation in this change. */
export const HELP = "usage: postconf";
export function run(): number {
  return 0;
}
