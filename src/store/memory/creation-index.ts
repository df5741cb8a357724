export interface IndexRow {
  t: number;
  key: string;
}

/** Keys ordered newest first by (creation time, key), as List pages them; binary search to a cursor. */
export class CreationIndex {
  private readonly rows: IndexRow[] = [];

  get size() {
    return this.rows.length;
  }

  insert(t: number, key: string) {
    const i = this.position(t, key);
    if (this.rows[i]?.key !== key || this.rows[i].t !== t) this.rows.splice(i, 0, { t, key });
  }

  remove(t: number, key: string) {
    const i = this.position(t, key);
    if (this.rows[i]?.key === key) this.rows.splice(i, 1);
  }

  /** Rows strictly after (older than) the cursor, newest first. */
  *after(t = Infinity, key = ""): Generator<IndexRow> {
    for (let i = this.position(t, key, true); i < this.rows.length; i++) yield this.rows[i];
  }

  /** Index of the first row not newer than (t, key); with `strict`, of the first row older than it. */
  private position(t: number, key: string, strict = false) {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = this.rows[mid];
      const newer = r.t > t || (r.t === t && (strict ? r.key >= key : r.key > key));
      if (newer) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
