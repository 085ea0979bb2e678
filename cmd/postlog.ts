/** postlog — placeholder during bootstrap; replaced by the real implementation in this change. */
export const HELP = "usage: postlog";
export function run(): number {
  return 0;
}
