/**
 * Index entries one List call examines at most (both stores): those of the page, its look-ahead, and any of
 * signatures that expired or were deleted since. A page may come back short, with a cursor, when it meets
 * more of those than this.
 */
export const listScanLimit = (pageSize: number) => Math.max(1000, 10 * pageSize);
